#pragma once
// JSON as the SQL stores write and read it: both with the same limits
// (core/json_policy.hpp), so that a row the store wrote it can always read back.
// Writing checks what reading would refuse; a document that breaks the policy means
// a caller skipped its checks, and the write fails as a whole rather than leave a row
// that no read can get past.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_policy.hpp"

namespace henge::store {

/// Thrown by stored_text() and parse_stored(); the stores turn it into Errc::internal.
class UnstorableJson final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A stored text as a value, with the depth the store writes. Throws UnstorableJson.
inline boost::json::value parse_stored(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = core::kMaxEnvelopeDepth;
  boost::system::error_code ec;
  auto v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) throw UnstorableJson("stored JSON does not parse: " + ec.message());
  return v;
}

/// `text` as a value, or `fallback` with "<column>: <why>" added to `unreadable`: how
/// a store reads a device's documents, so that a damaged row is reported, not fatal.
inline boost::json::value parse_stored_or(std::string_view text, const char* column, boost::json::value fallback,
                                          std::vector<std::string>& unreadable) {
  try {
    return parse_stored(text);
  } catch (const UnstorableJson& e) {
    unreadable.push_back(std::string(column) + ": " + e.what());
    return fallback;
  }
}

/// `doc` as the store writes it. Throws UnstorableJson when it could not be read back.
inline std::string stored_text(const boost::json::value& doc) {
  if (auto s = core::check_json(doc, "a document to store", core::kMaxEnvelopeDepth); !s) {
    throw UnstorableJson(s.error().message);
  }
  return boost::json::serialize(doc);
}

}  // namespace henge::store
