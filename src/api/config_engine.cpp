#include "api/config_engine.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/merge_patch.hpp"

namespace henge::api {
namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

constexpr std::size_t kMaxListedErrors = 100;

std::optional<core::Group> group_for(store::ReadTx& tx, const std::string& name, const PendingChanges& pending) {
  if (auto it = pending.groups.find(name); it != pending.groups.end()) return it->second;
  return tx.group(name);
}

}  // namespace

core::Result<EffectiveView> effective_config(Services& svc, store::ReadTx& tx, const core::Device& device,
                                             const PendingChanges& pending) {
  EffectiveView view;
  json::value defaults;
  if (!device.schema.empty()) {
    if (pending.schema && pending.schema->name == device.schema) {
      view.schema_name = device.schema;
      view.schema_version = pending.schema->version;
      view.compiled = pending.schema_compiled;
    } else if (auto s = tx.schema(device.schema, 0)) {
      auto compiled = svc.schemas.get(s->name, s->version, s->document);
      if (!compiled)
        return make_error(Errc::internal,
                          "stored schema " + s->name + " does not compile: " + compiled.error().message);
      view.schema_name = s->name;
      view.schema_version = s->version;
      view.compiled = *compiled;
    }
    if (view.compiled) defaults = view.compiled->defaults();
  }

  std::vector<core::Group> groups;
  for (const auto& name : device.groups) {
    if (auto g = group_for(tx, name, pending)) groups.push_back(std::move(*g));
  }
  std::sort(groups.begin(), groups.end(), [](const core::Group& a, const core::Group& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
  });

  std::vector<core::Layer> layers;
  layers.push_back({"default", &defaults});
  for (const auto& g : groups) layers.push_back({"group:" + g.name, &g.values});
  layers.push_back({"device", &device.values});
  view.effective = core::compose(layers);
  return view;
}

core::Result<std::vector<DeviceChange>> plan(Services& svc, store::ReadTx& tx, std::vector<core::Device> devices,
                                             const PendingChanges& pending) {
  std::vector<DeviceChange> out;
  out.reserve(devices.size());
  std::vector<core::FieldError> invalid;
  std::size_t invalid_devices = 0;
  for (auto& device : devices) {
    auto view = effective_config(svc, tx, device, pending);
    if (!view) return std::move(view).error();
    std::string text = json::serialize(view->effective.config);
    if (text.size() > svc.options.config_limit) {
      return make_error(Errc::too_large,
                        "the effective config of " + device.id + " would be " + std::to_string(text.size()) +
                            " bytes, over the limit of " + std::to_string(svc.options.config_limit),
                        {{device.id, "", "effective config too large"}});
    }
    if (view->compiled) {
      auto errors = view->compiled->validate(view->effective.config);
      if (!errors.empty()) ++invalid_devices;
      for (auto& e : errors) {
        if (invalid.size() >= kMaxListedErrors) break;
        e.device = device.id;
        invalid.push_back(std::move(e));
      }
    }
    DeviceChange change;
    change.before = device.desired;
    // A stored device always has a digest; only one being created has none.
    change.is_new = device.desired.sha256.empty();
    std::string sha = core::sha256_hex(text);
    change.config_changed = change.is_new || sha != device.desired.sha256;
    if (change.config_changed) {
      device.desired.config = std::move(view->effective.config);
      device.desired.sha256 = std::move(sha);
      device.desired.schema =
          view->schema_name.empty() ? "" : view->schema_name + "@" + std::to_string(view->schema_version);
    }
    change.device = std::move(device);
    out.push_back(std::move(change));
  }
  if (invalid_devices > 0) {
    return make_error(Errc::validation_failed,
                      std::to_string(invalid_devices) + " device" + (invalid_devices == 1 ? "" : "s") +
                          " would not validate against " + (invalid_devices == 1 ? "its" : "their") + " schema",
                      std::move(invalid));
  }
  return out;
}

core::Revision commit(store::WriteTx& tx, std::vector<DeviceChange>& changes, const Ctx& ctx, const std::string& action,
                      bool write_unchanged) {
  const bool any = std::any_of(changes.begin(), changes.end(), [](const auto& c) { return c.config_changed; });
  const core::Revision rev = any ? tx.take_revision() : 0;
  for (auto& c : changes) {
    if (c.config_changed) {
      c.device.desired.revision = rev;
      c.device.updated_at = ctx.now;
    } else if (!write_unchanged) {
      continue;
    }
    if (c.is_new) {
      tx.insert_device(c.device);
    } else if (write_unchanged) {
      tx.update_device(c.device);
    } else {
      tx.update_desired(c.device.id, c.device.desired);  // a group or schema write: only this moved
    }
    if (c.config_changed) {
      core::HistoryEntry h;
      h.device = c.device.id;
      h.revision = rev;
      h.at = ctx.now;
      h.actor = ctx.actor.name;
      h.action = action;
      h.change = core::merge_diff(c.before.config, c.device.desired.config);
      h.config = c.device.desired.config;
      h.sha256 = c.device.desired.sha256;
      tx.append_history(h);
    }
  }
  return rev;
}

json::value dry_run_body(const std::vector<DeviceChange>& changes) {
  json::array items;
  for (const auto& c : changes) {
    json::object item;
    item["device"] = c.device.id;
    item["changed"] = c.config_changed;
    item["before"] = c.is_new ? json::value(nullptr) : c.before.config;
    item["after"] = c.device.desired.config;
    items.push_back(std::move(item));
  }
  return json::object{{"dry_run", true}, {"devices", std::move(items)}};
}

std::vector<core::Device> load_devices(store::ReadTx& tx, const std::vector<std::string>& ids) {
  std::vector<core::Device> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    if (auto d = tx.device(id)) out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace henge::api
