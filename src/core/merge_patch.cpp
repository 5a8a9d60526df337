#include "core/merge_patch.hpp"

#include <boost/json.hpp>

namespace henge::core {
namespace json = boost::json;

json::value apply_merge_patch(json::value target, const json::value& patch) {
  const auto* patch_obj = patch.if_object();
  if (patch_obj == nullptr) return patch;
  if (!target.is_object()) target.emplace_object();
  auto& obj = target.get_object();
  for (const auto& [key, value] : *patch_obj) {
    if (value.is_null()) {
      obj.erase(key);
    } else if (auto* existing = obj.if_contains(key)) {
      *existing = apply_merge_patch(std::move(*existing), value);
    } else {
      obj[key] = apply_merge_patch(json::value{}, value);
    }
  }
  return target;
}

namespace {

bool contains_null_member(const json::object& obj) {
  for (const auto& [k, v] : obj) {
    if (v.is_null()) return true;
  }
  return false;
}

}  // namespace

json::value merge_diff(const json::value& from, const json::value& to) {
  const auto* to_obj = to.if_object();
  const auto* from_obj = from.if_object();
  if (to_obj == nullptr) return to;
  if (from_obj == nullptr || contains_null_member(*to_obj)) {
    // A patch object is merged into an empty object when the target is not one; a
    // null member would be dropped, so such a value can only be given whole, which
    // merge patch cannot express for objects either: give the object and accept
    // that nulls inside it are lost.
    return to;
  }
  json::object patch;
  for (const auto& [key, value] : *from_obj) {
    if (!to_obj->contains(key)) patch[key] = nullptr;
  }
  for (const auto& [key, value] : *to_obj) {
    const auto* old = from_obj->if_contains(key);
    if (old == nullptr) {
      patch[key] = value;
    } else if (*old != value) {
      patch[key] = merge_diff(*old, value);
    }
  }
  return patch;
}

}  // namespace henge::core
