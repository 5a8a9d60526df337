#include "core/layering.hpp"

#include <boost/json.hpp>

#include "core/json_pointer.hpp"
#include "core/merge_patch.hpp"

namespace henge::core {
namespace json = boost::json;

namespace {

using Sources = std::map<std::string, std::string>;

// Erases every source at or below `prefix` (in pointer text form, escaped).
void erase_subtree(Sources& sources, const std::string& prefix) {
  auto it = sources.lower_bound(prefix);
  while (it != sources.end() && it->first.compare(0, prefix.size(), prefix) == 0 &&
         (it->first.size() == prefix.size() || it->first[prefix.size()] == '/')) {
    it = sources.erase(it);
  }
}

// Records the sources `patch` sets when merged into `target` (before the merge).
void attribute(const json::value* target, const json::object& patch, const std::string& at, const std::string& layer,
               Sources& sources) {
  const auto* target_obj = target != nullptr ? target->if_object() : nullptr;
  for (const auto& [key, value] : patch) {
    const std::string ptr = at + "/" + escape_pointer_token(key);
    if (value.is_null()) {
      erase_subtree(sources, ptr);
      continue;
    }
    const json::value* old = target_obj != nullptr ? target_obj->if_contains(key) : nullptr;
    if (const auto* sub = value.if_object()) {
      if (old == nullptr || !old->is_object()) erase_subtree(sources, ptr);
      if (sub->empty()) {
        if (old == nullptr || !old->is_object() || old->get_object().empty()) sources[ptr] = layer;
        continue;
      }
      // The subtree stops being an empty-object leaf once something is set below it.
      sources.erase(ptr);
      attribute(old, *sub, ptr, layer, sources);
      continue;
    }
    erase_subtree(sources, ptr);
    sources[ptr] = layer;
  }
}

}  // namespace

Effective compose(const std::vector<Layer>& layers, bool with_sources) {
  Effective out{json::object{}, {}};
  for (const auto& layer : layers) {
    if (layer.values == nullptr) continue;
    const auto* patch = layer.values->if_object();
    if (patch == nullptr) continue;
    if (with_sources) attribute(&out.config, *patch, "", layer.name, out.sources);
    out.config = apply_merge_patch(std::move(out.config), *layer.values);
  }
  return out;
}

json::value schema_defaults(const json::value& schema) {
  const auto* s = schema.if_object();
  if (s == nullptr) return nullptr;
  json::value out = nullptr;
  if (const auto* props = s->if_contains("properties"); props != nullptr && props->is_object()) {
    json::object obj;
    for (const auto& [key, sub] : props->get_object()) {
      json::value d = schema_defaults(sub);
      if (!d.is_null()) obj[key] = std::move(d);
    }
    if (!obj.empty()) out = std::move(obj);
  }
  if (const auto* own = s->if_contains("default")) {
    out = own->is_object() && out.is_object() ? apply_merge_patch(std::move(out), *own) : *own;
  }
  return out;
}

}  // namespace henge::core
