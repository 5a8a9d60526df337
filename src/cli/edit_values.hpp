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

/// `set`: KEY=VALUE arguments applied to the values in one write.
core::Status set_keys(Context& ctx, const ValuesResource& resource, const std::vector<std::string>& args, bool dry_run);

/// `unset`: one key removed from the values.
core::Status unset_key(Context& ctx, const ValuesResource& resource, const std::string& key, bool dry_run);

}  // namespace henge::cli
