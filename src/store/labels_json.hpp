#pragma once
// Device labels as the JSON object the SQL stores keep them in, the same way in each.

#include <boost/json.hpp>
#include <map>
#include <string>

namespace henge::store {

inline std::string labels_to_json(const std::map<std::string, std::string>& labels) {
  boost::json::object o;
  for (const auto& [k, v] : labels) o[k] = v;
  return boost::json::serialize(o);
}

/// The string members of a stored labels object (anything else is not a label).
inline std::map<std::string, std::string> labels_from_json(const boost::json::value& v) {
  std::map<std::string, std::string> out;
  if (const auto* o = v.if_object()) {
    for (const auto& [k, val] : *o) {
      if (val.is_string()) out.emplace(std::string(k), std::string(val.get_string()));
    }
  }
  return out;
}

}  // namespace henge::store
