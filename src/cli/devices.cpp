// henge device add|list|get|rm|rotate-token (import: device_import.cpp)
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

struct DeviceFlags {
  std::string id;
  std::string schema;
  std::vector<std::string> labels;
  std::vector<std::string> groups;
  std::string token_file;
  std::string status;
  std::string group;
  std::string label;
  std::string connected;
  std::size_t limit = 100000;
};

// Prints a new token once, or writes it to --token-file and says where.
core::Status hand_over_token(Context& ctx, const json::value& body, const std::string& token_file,
                             std::string_view what) {
  const auto token = field(body, "token");
  if (!token_file.empty()) {
    if (auto st = write_secret_file(token_file, token + "\n"); !st.ok()) return st;
  }
  if (ctx.json()) {
    *ctx.out << pretty_json(body) << "\n";
    return {};
  }
  *ctx.out << "device " << field(body, "id") << " " << what << "\n";
  if (token_file.empty()) {
    *ctx.out << "token: " << token << "\n(shown once: give it to the device's agent now)\n";
  } else {
    *ctx.out << "token written to " << token_file << " (mode 0600)\n";
  }
  return {};
}

std::string applied_of(const json::value& d) {
  return field(d, "applied_revision") + "/" + field(d, "desired_revision");
}

void print_device(Context& ctx, const json::value& d) {
  if (ctx.json()) {
    *ctx.out << pretty_json(d) << "\n";
    return;
  }
  const auto& o = d.as_object();
  for (const char* key :
       {"id", "schema", "status", "connected", "replica", "last_seen", "desired_revision", "applied_revision",
        "applied_at", "error", "groups", "labels", "reported", "created_at", "updated_at"}) {
    if (o.contains(key)) *ctx.out << key << ": " << field(d, key) << "\n";
  }
}

}  // namespace

void add_device_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<DeviceFlags>();
  auto* device = app.add_subcommand("device", "Register, list, inspect and remove devices")->require_subcommand(1);

  auto* add = device->add_subcommand("add", "Register a device and print its token (once)");
  add->add_option("id", flags->id, "Device id")->required();
  add->add_option("--schema", flags->schema, "Schema the device follows");
  add->add_option("--label", flags->labels, "Label key=value (repeatable)");
  add->add_option("--group", flags->groups, "Group to put it in (repeatable)");
  add->add_option("--token-file", flags->token_file, "Write the token to this file (0600) instead of printing it");
  on_run(add, ctx, [&ctx, flags]() -> core::Status {
    json::object body{{"id", flags->id}};
    if (!flags->schema.empty()) body["schema"] = flags->schema;
    json::object labels;
    for (const auto& kv : flags->labels) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return make_error(Errc::invalid, "--label wants key=value, not '" + kv + "'");
      labels[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!labels.empty()) body["labels"] = std::move(labels);
    if (!flags->groups.empty()) {
      json::array groups;
      for (const auto& g : flags->groups) groups.push_back(json::string(g));
      body["groups"] = std::move(groups);
    }
    auto answer = ctx.call(ApiCall{"POST", "/v1/devices", json::value(std::move(body)), "application/json", {}});
    if (!answer.ok()) return std::move(answer).error();
    ctx.warn(answer->body);
    return hand_over_token(ctx, answer->body, flags->token_file, "registered");
  });

  auto* list = device->add_subcommand("list", "List devices");
  list->add_option("--status", flags->status, "never_connected, in_sync, pending or failed");
  list->add_option("--group", flags->group, "Only devices in this group");
  list->add_option("--label", flags->label, "Only devices with this label (key or key=value)");
  list->add_option("--schema", flags->schema, "Only devices on this schema");
  list->add_option("--connected", flags->connected, "true or false")->check(CLI::IsMember({"true", "false"}));
  list->add_option("--limit", flags->limit, "At most this many devices")->check(CLI::PositiveNumber);
  on_run(list, ctx, [&ctx, flags]() -> core::Status {
    const auto query = query_string({{"status", flags->status},
                                     {"group", flags->group},
                                     {"label", flags->label},
                                     {"schema", flags->schema},
                                     {"connected", flags->connected}});
    auto devices = ctx.list_all("/v1/devices" + query, flags->limit);
    if (!devices.ok()) return std::move(devices).error();
    print_list(ctx, *devices, {"ID", "SCHEMA", "STATUS", "CONNECTED", "APPLIED/DESIRED", "LAST SEEN"},
               [](const json::value& d) -> std::vector<std::string> {
                 return {field(d, "id"),        field(d, "schema"), field(d, "status"),
                         field(d, "connected"), applied_of(d),      field(d, "last_seen")};
               });
    return {};
  });

  auto* get = device->add_subcommand("get", "Show a device");
  get->add_option("id", flags->id, "Device id")->required();
  on_run(get, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"GET", "/v1/devices/" + url_encode(flags->id), {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    print_device(ctx, answer->body);
    return {};
  });

  auto* rm = device->add_subcommand("rm", "Remove a device (its stream closes, its token stops working)");
  rm->add_option("id", flags->id, "Device id")->required();
  on_run(rm, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"DELETE", "/v1/devices/" + url_encode(flags->id), {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (!ctx.json()) *ctx.out << "device " << flags->id << " removed\n";
    return {};
  });

  add_device_import_command(*device, ctx);

  auto* rotate = device->add_subcommand("rotate-token", "Give a device a new token; the old one stops working");
  rotate->add_option("id", flags->id, "Device id")->required();
  rotate->add_option("--token-file", flags->token_file, "Write the token to this file (0600) instead of printing it");
  on_run(rotate, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(
        ApiCall{"POST", "/v1/devices/" + url_encode(flags->id) + "/token", json::object{}, "application/json", {}});
    if (!answer.ok()) return std::move(answer).error();
    return hand_over_token(ctx, answer->body, flags->token_file, "has a new token");
  });
}

}  // namespace henge::cli
