#include "service/config_engine.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/json_policy.hpp"
#include "core/merge_patch.hpp"
#include "log/log.hpp"

namespace henge::service {
namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

constexpr std::size_t kMaxListedErrors = 100;

}  // namespace

// What the devices of one write share is read and worked out once: a group write moves
// thousands of devices with the same groups and schema, and most often the same config.
class EffectiveConfigs {
 public:
  EffectiveConfigs(const Engine& engine, store::ReadTx& tx, const PendingChanges& pending)
      : engine_(engine), tx_(tx), pending_(pending) {}

  core::Result<EffectiveView> of(const core::Device& device, bool with_sources) {
    EffectiveView view;
    static const json::value kNoDefaults;
    const json::value* defaults = &kNoDefaults;
    if (!device.schema.empty()) {
      auto schema = schema_of(device.schema);
      if (!schema) return std::move(schema).error();
      view.schema_name = schema->schema_name;
      view.schema_version = schema->schema_version;
      view.compiled = schema->compiled;
      if (view.compiled) defaults = &view.compiled->defaults();
    }
    std::vector<const core::Group*> groups;
    for (const auto& name : device.groups) {
      if (const auto* g = group(name)) groups.push_back(g);
    }
    std::sort(groups.begin(), groups.end(), [](const core::Group* a, const core::Group* b) {
      return a->priority != b->priority ? a->priority < b->priority : a->name < b->name;
    });
    std::vector<core::Layer> layers;
    layers.reserve(groups.size() + 2);
    layers.push_back({"default", defaults});
    for (const auto* g : groups) layers.push_back({"group:" + g->name, &g->values});
    layers.push_back({"device", &device.values});
    view.effective = core::compose(layers, with_sources);
    return view;
  }

  /// The schema's verdict on a config, by its digest: the same config is judged once.
  const std::vector<core::FieldError>& validate(const core::CompiledSchema& schema, const std::string& sha256,
                                                const json::value& config) {
    const auto key = std::make_pair(&schema, sha256);
    auto it = verdicts_.find(key);
    if (it == verdicts_.end()) it = verdicts_.emplace(key, schema.validate(config)).first;
    return it->second;
  }

 private:
  struct SchemaView {
    std::string schema_name;
    std::int64_t schema_version = 0;
    std::shared_ptr<const core::CompiledSchema> compiled;
  };

  core::Result<SchemaView> schema_of(const std::string& name) {
    if (auto it = schemas_.find(name); it != schemas_.end()) return it->second;
    SchemaView view;
    if (pending_.schema && pending_.schema->name == name) {
      view = {name, pending_.schema->version, pending_.schema_compiled};
    } else if (auto s = tx_.schema(name, 0)) {
      auto compiled = engine_.schemas.get(s->name, s->version, s->document);
      if (!compiled) {
        return make_error(Errc::internal,
                          "stored schema " + s->name + " does not compile: " + compiled.error().message);
      }
      view = {s->name, s->version, *compiled};
    }
    return schemas_.emplace(name, std::move(view)).first->second;
  }

  const core::Group* group(const std::string& name) {
    auto it = groups_.find(name);
    if (it == groups_.end()) {
      auto pending = pending_.groups.find(name);
      it = groups_.emplace(name, pending != pending_.groups.end() ? pending->second : tx_.group(name)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  const Engine& engine_;
  store::ReadTx& tx_;
  const PendingChanges& pending_;
  std::map<std::string, SchemaView> schemas_;
  std::map<std::string, std::optional<core::Group>> groups_;
  std::map<std::pair<const core::CompiledSchema*, std::string>, std::vector<core::FieldError>> verdicts_;
};

core::Result<EffectiveView> effective_config(const Engine& engine, store::ReadTx& tx, const core::Device& device,
                                             const PendingChanges& pending) {
  return EffectiveConfigs(engine, tx, pending).of(device, true);
}

namespace {

// A device's effective config as a write stores it: the config, its text's size and
// digest, and the schema that judges it.
struct Planned {
  EffectiveView view;
  std::size_t size = 0;
  std::string sha256;
};

// What decides the effective config of a device with no values of its own: its schema
// and its groups. Most of a fleet has none, so a group write works one config out once.
// `s` with its field errors naming `device`.
core::Status with_device(const std::string& device, core::Status s) {
  if (s) return s;
  auto e = std::move(s).error();
  for (auto& d : e.details) d.device = device;
  return e;
}

std::string layers_key(const core::Device& d) {
  std::string key = d.schema;
  for (const auto& g : d.groups) (key += '\n') += g;
  return key;
}

}  // namespace

namespace {

bool values_unreadable(const core::Device& d) {
  return std::any_of(d.unreadable.begin(), d.unreadable.end(),
                     [](const std::string& u) { return u.rfind("device_values:", 0) == 0; });
}

}  // namespace

core::Status check_readable(const core::Device& d) {
  for (const auto& u : d.unreadable) {
    if (u.rfind("device_values:", 0) == 0 || u.rfind("desired_config:", 0) == 0) {
      return make_error(Errc::internal, "the stored config of device " + d.id + " cannot be read: " + u);
    }
  }
  return {};
}

core::Result<std::vector<DeviceChange>> plan(const Engine& engine, store::ReadTx& tx, std::vector<core::Device> devices,
                                             const PendingChanges& pending) {
  // A device whose own values could not be read has no config to work out: a write to
  // a layer it shares passes it by (its desired config stays as it was), and a write
  // to the device itself must replace its values whole.
  const bool shared_layer = !pending.groups.empty() || pending.schema.has_value();
  for (auto it = devices.begin(); it != devices.end();) {
    if (!values_unreadable(*it)) {
      ++it;
      continue;
    }
    if (!shared_layer) {
      return make_error(Errc::conflict, "the stored values of device " + it->id +
                                            " cannot be read; replace them whole with PUT /v1/devices/" + it->id +
                                            "/config (or delete the device)");
    }
    log::error("device left out of a write: its stored values cannot be read",
               {{"device", it->id}, {"cause", it->unreadable.front()}});
    it = devices.erase(it);
  }
  std::vector<DeviceChange> out;
  out.reserve(devices.size());
  std::vector<core::FieldError> invalid;
  std::size_t invalid_devices = 0;
  // Every layer a write brings in is held to the JSON policy before anything else
  // walks it: a JSON-pointer write can build nesting that no request body had.
  for (const auto& [name, group] : pending.groups) {
    if (group) HENGE_TRY(with_device("", core::check_json(group->values, "the config of group " + name)));
  }
  EffectiveConfigs configs(engine, tx, pending);
  std::map<std::string, Planned> by_layers;  // for devices without values of their own
  auto work_out = [&](const core::Device& device, Planned& p) -> core::Status {
    auto view = configs.of(device, false);
    if (!view) return std::move(view).error();
    p.view = std::move(*view);
    HENGE_TRY(with_device(device.id, core::check_json(p.view.effective.config, "the effective config")));
    const std::string text = json::serialize(p.view.effective.config);
    p.size = text.size();
    p.sha256 = core::sha256_hex(text);
    return {};
  };
  for (auto& device : devices) {
    Planned own;
    Planned* planned = &own;
    const bool has_values = !device.values.is_object() || !device.values.get_object().empty();
    if (has_values) {
      HENGE_TRY(with_device(device.id, core::check_json(device.values, "the config of device " + device.id)));
      HENGE_TRY(work_out(device, own));
    } else {
      auto [it, fresh] = by_layers.try_emplace(layers_key(device));
      if (fresh) HENGE_TRY(work_out(device, it->second));
      planned = &it->second;
    }
    if (planned->size > engine.config_limit) {
      return make_error(Errc::too_large,
                        "the effective config of " + device.id + " would be " + std::to_string(planned->size) +
                            " bytes, over the limit of " + std::to_string(engine.config_limit),
                        {{device.id, "", "effective config too large"}});
    }
    const auto& view = planned->view;
    if (view.compiled) {
      const auto& errors = configs.validate(*view.compiled, planned->sha256, view.effective.config);
      if (!errors.empty()) ++invalid_devices;
      for (auto e : errors) {
        if (invalid.size() >= kMaxListedErrors) break;
        e.device = device.id;
        invalid.push_back(std::move(e));
      }
    }
    DeviceChange change;
    // A stored device always has a digest; only one being created has none.
    change.is_new = device.desired.sha256.empty();
    change.config_changed = change.is_new || planned->sha256 != device.desired.sha256;
    if (!change.config_changed) {
      change.before = device.desired;
    } else {
      change.before = std::move(device.desired);
      device.desired.revision = change.before.revision;
      // The device's own plan is used once and can be moved from; a shared one is copied.
      if (has_values) {
        device.desired.config = std::move(own.view.effective.config);
      } else {
        device.desired.config = view.effective.config;
      }
      device.desired.sha256 = planned->sha256;
      device.desired.schema =
          view.schema_name.empty() ? "" : view.schema_name + "@" + std::to_string(view.schema_version);
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

core::Revision commit(store::WriteTx& tx, std::vector<DeviceChange>& changes, const Stamp& stamp,
                      const std::string& action, bool write_unchanged) {
  const bool any = std::any_of(changes.begin(), changes.end(), [](const auto& c) { return c.config_changed; });
  const core::Revision rev = any ? tx.take_revision() : 0;
  // A group write moves many devices from the same config to the same config: one
  // history entry is filled in, and only what differs from the previous device's is
  // set again (the diff is worked out once per pair of configs).
  std::map<std::pair<std::string, std::string>, json::value> diffs;
  core::HistoryEntry h;
  h.revision = rev;
  h.at = stamp.at;
  h.actor = stamp.actor;
  h.action = action;
  const std::pair<std::string, std::string>* h_configs = nullptr;  // (before, after) digests h holds
  for (auto& c : changes) {
    if (c.config_changed) {
      c.device.desired.revision = rev;
      c.device.updated_at = stamp.at;
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
      h.device = c.device.id;
      auto [diff, fresh] = diffs.try_emplace({c.before.sha256, c.device.desired.sha256});
      if (fresh) diff->second = core::merge_diff(c.before.config, c.device.desired.config);
      if (h_configs != &diff->first) {
        h_configs = &diff->first;
        h.change = diff->second;
        h.config = c.device.desired.config;
        h.sha256 = c.device.desired.sha256;
      }
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

}  // namespace henge::service
