#pragma once
// RFC 6901 JSON Pointer: parsing, lookup, and the edits henge makes through it.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace henge::core {

class JsonPointer final {
 public:
  JsonPointer() = default;  ///< the root pointer ""
  explicit JsonPointer(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  /// Parses "" or "/a/b~1c"; Errc::invalid when it does not start with '/' or has a
  /// '~' not followed by '0' or '1'.
  static Result<JsonPointer> parse(std::string_view text);

  /// The escaped text form, e.g. "/a/b~1c".
  [[nodiscard]] std::string str() const;
  [[nodiscard]] const std::vector<std::string>& tokens() const { return tokens_; }
  [[nodiscard]] bool is_root() const { return tokens_.empty(); }
  /// This pointer with one more (unescaped) token.
  [[nodiscard]] JsonPointer child(std::string_view token) const;
  /// True when `other` equals this pointer or lies below it.
  [[nodiscard]] bool is_prefix_of(const JsonPointer& other) const;

  friend bool operator==(const JsonPointer&, const JsonPointer&) = default;

 private:
  std::vector<std::string> tokens_;
};

/// Escapes one reference token ('~' → "~0", '/' → "~1").
std::string escape_pointer_token(std::string_view token);

/// The value at `ptr`, or nullptr when there is none.
const boost::json::value* find(const boost::json::value& doc, const JsonPointer& ptr);

/// Sets the value at `ptr`, creating missing parent objects. An array element is
/// addressed by an existing index, or "-" to append. Errc::invalid when a parent is
/// a scalar or an index is out of range.
Status set_at(boost::json::value& doc, const JsonPointer& ptr, boost::json::value v);

/// Removes the value at `ptr`; Errc::not_found when absent, Errc::invalid for root.
Status remove_at(boost::json::value& doc, const JsonPointer& ptr);

}  // namespace henge::core
