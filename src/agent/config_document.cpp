#include "agent/config_document.hpp"

#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/json_policy.hpp"

namespace henge::agent {

namespace json = boost::json;
using core::Errc;
using core::make_error;

core::Result<ConfigDocument> parse_config_document(std::string_view text) {
  boost::system::error_code ec;
  auto doc = core::parse_answer(text, ec);
  if (ec || !doc.is_object()) return make_error(Errc::invalid, "config document is not a JSON object");
  const auto& obj = doc.as_object();
  const auto* revision = obj.if_contains("revision");
  const auto* sha = obj.if_contains("sha256");
  const auto* config = obj.if_contains("config");
  const auto* schema = obj.if_contains("schema");
  if (revision == nullptr || !revision->is_int64() || revision->as_int64() <= 0) {
    return make_error(Errc::invalid, "config document has no positive revision");
  }
  if (sha == nullptr || !sha->is_string()) return make_error(Errc::invalid, "config document has no sha256");
  if (config == nullptr || !config->is_object())
    return make_error(Errc::invalid, "config document has no config object");

  // The protocol puts `config` last, so its bytes run from just after the first
  // `"config":` to just before the closing brace.
  constexpr std::string_view kMember = "\"config\":";
  const auto at = text.find(kMember);
  const auto end = text.find_last_of('}');
  if (at == std::string_view::npos || end == std::string_view::npos || end < at + kMember.size()) {
    return make_error(Errc::invalid, "config document does not end with its config member");
  }
  ConfigDocument out;
  out.config_bytes = std::string(text.substr(at + kMember.size(), end - at - kMember.size()));
  out.sha256 = std::string(sha->as_string());
  if (core::sha256_hex(out.config_bytes) != out.sha256) {
    return make_error(Errc::invalid,
                      "config of revision " + std::to_string(revision->as_int64()) + " does not match its sha256");
  }
  auto reparsed = core::parse_answer(out.config_bytes, ec);
  if (ec || reparsed != *config) {
    return make_error(Errc::invalid, "config document does not end with its config member");
  }
  out.revision = revision->as_int64();
  if (schema != nullptr && schema->is_string()) out.schema = std::string(schema->as_string());
  out.config = std::move(reparsed);
  return out;
}

}  // namespace henge::agent
