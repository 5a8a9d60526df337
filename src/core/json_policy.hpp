#pragma once
// The one JSON policy of henge: what any JSON that henged parses, builds or stores
// must be, so that whatever it accepts it can read back (docs/protocol.md, "JSON").
//
// - Nesting: a document (a config, a device's values, a reported state, a schema, a
//   group's values) nests at most kMaxDepth containers. A request body is held to the
//   same limit as a whole, and a document built by an edit (a JSON-pointer write, a
//   merge patch) is checked again, since a pointer can build depth no body had.
// - Numbers: finite. `1e400` overflows a double to infinity, which JSON cannot write
//   (Boost.JSON prints `Infinity`, which no parser reads back): refused.
// - Integers: written without fraction or exponent, they are kept exactly when they
//   fit int64 or uint64 and refused otherwise, never rounded to a double.
// - Strings and keys: UTF-8. The parser checks bodies; a key that came another way (a
//   JSON-pointer segment from the URL) is checked where the document is built.
//
// What henged stores and sends wraps documents: a history entry in a page of them, a
// config in its device event, a dry run's before and after. So the stores read and
// write, and henge's own clients read answers, with kMaxEnvelopeDepth, which leaves
// room for that (docs/protocol.md, "JSON": clients should parse with at least it).

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace henge::core {

/// The deepest nesting of arrays and objects a document may have (`{}` is 1).
inline constexpr std::size_t kMaxDepth = 32;
/// The deepest nesting a stored row or an answer may have: a document and the records
/// around it.
inline constexpr std::size_t kMaxEnvelopeDepth = 64;

/// `text` parsed by the policy, nesting at most `max_depth`. Errc::invalid when it is
/// not JSON, or names (in the message and as a FieldError) the JSON pointer of the
/// first offence: a non-finite number, an integer outside the 64-bit range, nesting
/// too deep. `what` leads the message ("the body").
Result<boost::json::value> parse_json(std::string_view text, std::string_view what = "the document",
                                      std::size_t max_depth = kMaxDepth);

/// Errc::invalid when `doc` nests deeper than `max_depth`, holds a non-finite number
/// or a string or key that is not UTF-8, naming the first such place as a JSON pointer. `what` leads the message
/// ("the config"). Never recurses deeper than max_depth + 1, whatever `doc` holds.
Status check_json(const boost::json::value& doc, std::string_view what, std::size_t max_depth = kMaxDepth);

/// What henged sent (an answer's body, an event's data) as a value, read with the depth
/// its envelope needs; Boost.JSON's own default (32) cannot read a config at the
/// document limit inside its event. For henge's clients.
boost::json::value parse_answer(std::string_view text, boost::system::error_code& ec);

/// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
/// nothing above U+10FFFF), as every JSON string must be.
bool valid_utf8(std::string_view text);

/// `text` with each byte that does not begin or continue a well-formed UTF-8 character
/// replaced by U+FFFD: for messages that quote what a client sent (a raw path).
std::string utf8_lossy(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` that ends between characters:
/// cutting a UTF-8 string by bytes must not leave half a character.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace henge::core
