#pragma once
// A device's effective config: its layers merged in order (schema defaults, then
// groups by ascending priority and name, then the device's own values) with RFC 7386
// semantics, and for every leaf the layer that set it.

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <vector>

namespace henge::core {

struct Layer {
  std::string name;                  ///< "default", "group:<name>" or "device"
  const boost::json::value* values;  ///< a merge patch; null or non-object values are skipped
};

struct Effective {
  boost::json::value config;                   ///< always an object
  std::map<std::string, std::string> sources;  ///< leaf JSON pointer → layer name
};

/// Merges `layers` in order into an empty object. A leaf is a scalar, an array, or an
/// empty object; a layer that replaces a subtree takes over the sources below it.
/// Without `with_sources`, `sources` stays empty (writes need only the config).
Effective compose(const std::vector<Layer>& layers, bool with_sources = true);

/// The defaults a JSON Schema declares: `default` of the schema and, recursively,
/// of its `properties`. An object's own `default` is merged over its properties'.
boost::json::value schema_defaults(const boost::json::value& schema);

}  // namespace henge::core
