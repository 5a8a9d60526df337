#pragma once
// `set` and `unset` of the CLI edit a whole values object and put it back with If-Match,
// so several keys change in one revision and a concurrent writer is never overwritten.

#include <boost/json/value.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/assignment.hpp"
#include "cli/context.hpp"

namespace henge::cli {

struct ValuesResource {
  std::string get_path;  ///< answers the current values and an ETag
  std::string put_path;  ///< takes the whole values object
  /// The values object inside the GET answer.
  std::function<boost::json::value(const boost::json::value& answer)> values_of;
};

/// GET, apply `edit`, PUT with If-Match; starts over (up to 3 times) when another
/// writer got in between. Prints the outcome (or the dry run).
core::Status edit_values(Context& ctx, const ValuesResource& resource, bool dry_run,
                         const std::function<core::Status(boost::json::value& values)>& edit);

/// Parses KEY=VALUE arguments, all or none.
core::Result<std::vector<Assignment>> parse_assignments(const std::vector<std::string>& args);

}  // namespace henge::cli
