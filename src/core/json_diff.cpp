#include "core/json_diff.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "core/json_pointer.hpp"

namespace henge::core {

namespace json = boost::json;

namespace {

void collect(const json::value& before, const json::value& after, const std::string& prefix,
             std::vector<std::string>& out) {
  const auto* b = before.if_object();
  const auto* a = after.if_object();
  if (b == nullptr || a == nullptr) {
    if (before != after) out.push_back(prefix);
    return;
  }
  for (const auto& [key, value] : *b) {
    const auto* other = a->if_contains(key);
    const auto path = prefix + "/" + escape_pointer_token(key);
    if (other == nullptr) {
      out.push_back(path);
    } else {
      collect(value, *other, path, out);
    }
  }
  for (const auto& [key, value] : *a) {
    if (!b->contains(key)) out.push_back(prefix + "/" + escape_pointer_token(key));
  }
}

}  // namespace

std::vector<std::string> changed_paths(const json::value& before, const json::value& after) {
  std::vector<std::string> out;
  collect(before, after, "", out);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace henge::core
