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
//
// Stored rows wrap documents (an audit entry's {before, after}, a history entry), so
// the stores read and write with kMaxStoredDepth, which leaves room for that.

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "core/result.hpp"

namespace henge::core {

/// The deepest nesting of arrays and objects a document may have (`{}` is 1).
inline constexpr std::size_t kMaxDepth = 32;
/// The deepest nesting a stored row may have: a document and the records around it.
inline constexpr std::size_t kMaxStoredDepth = 64;

/// `text` parsed by the policy, nesting at most `max_depth`. Errc::invalid when it is
/// not JSON, or names (in the message and as a FieldError) the JSON pointer of the
/// first offence: a non-finite number, an integer outside the 64-bit range, nesting
/// too deep. `what` leads the message ("the body").
Result<boost::json::value> parse_json(std::string_view text, std::string_view what = "the document",
                                      std::size_t max_depth = kMaxDepth);

/// Errc::invalid when `doc` nests deeper than `max_depth` or holds a non-finite
/// number, naming the first such place as a JSON pointer. `what` leads the message
/// ("the config"). Never recurses deeper than max_depth + 1, whatever `doc` holds.
Status check_json(const boost::json::value& doc, std::string_view what, std::size_t max_depth = kMaxDepth);

/// How deep `doc` nests (a scalar is 0, `{}` and `[]` are 1).
std::size_t json_depth(const boost::json::value& doc);

}  // namespace henge::core
