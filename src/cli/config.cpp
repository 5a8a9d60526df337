// henge config get|set|unset|patch|history|rollback
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "cli/context.hpp"
#include "cli/edit_values.hpp"
#include "cli/output.hpp"
#include "core/json_pointer.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

struct ConfigFlags {
  std::string id;
  bool explain = false;
  std::vector<std::string> assignments;
  std::string key;
  std::string file;
  bool dry_run = false;
  std::size_t limit = 20;
  std::int64_t revision = 0;
  bool wait = false;
};

std::string device_path(const std::string& id) {
  return "/v1/devices/" + url_encode(id);
}

ValuesResource device_values(const std::string& id) {
  const auto path = device_path(id) + "/config";
  return ValuesResource{path, path, [](const json::value& answer) { return answer.as_object().at("values"); }};
}

// Every key of the effective config with its value and the layer it comes from.
// --wait: polls the device until it has applied the revision just written (or a later
// one), rejected it, or the --timeout passed.
core::Status wait_applied(Context& ctx, const std::string& id) {
  if (!ctx.last_write) return {};  // a dry run wrote nothing
  const auto* written = ctx.last_write->body.as_object().if_contains("revision");
  if (written == nullptr || !written->is_int64()) return {};
  const auto revision = written->as_int64();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(ctx.timeout_s);
  for (;;) {
    auto device = ctx.call(ApiCall{"GET", device_path(id), {}, {}, {}});
    if (!device.ok()) return std::move(device).error();
    const auto& d = device->body;
    const auto* applied = d.as_object().if_contains("applied_revision");
    if (applied != nullptr && applied->is_int64() && applied->as_int64() >= revision) {
      if (!ctx.json()) *ctx.out << id << " applied revision " << applied->as_int64() << "\n";
      return {};
    }
    if (field(d, "status") == "failed") {
      return make_error(Errc::unavailable,
                        id + " rejected revision " + field(d, "desired_revision") + ": " + field(d, "error"));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(Errc::unavailable, id + " has not applied revision " + std::to_string(revision) +
                                               " yet (status " + field(d, "status") + ", connected " +
                                               field(d, "connected") + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void add_wait_flag(CLI::App* command, ConfigFlags& flags) {
  command->add_flag("--wait", flags.wait,
                    "Then wait until the device has applied it (or rejected it; at most --timeout seconds)");
}

void print_explained(Context& ctx, const json::value& answer) {
  const auto& obj = answer.as_object();
  const auto& config = obj.at("config");
  Table table({"KEY", "VALUE", "SOURCE"});
  for (const auto& [pointer, source] : obj.at("sources").as_object()) {
    const auto parsed = core::JsonPointer::parse(pointer);
    const json::value* value = parsed.ok() ? core::find(config, *parsed) : nullptr;
    table.add({std::string(pointer), cell(value), cell(&source)});
  }
  *ctx.out << "device " << field(answer, "device") << ", revision " << field(answer, "revision") << ", schema "
           << schema_label(obj.if_contains("schema")) << "\n";
  table.print(*ctx.out);
}

}  // namespace

void add_config_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* config = app.add_subcommand("config", "Read and change a device's configuration")->require_subcommand(1);

  auto* get = config->add_subcommand("get", "Print a device's effective config");
  get->add_option("device", flags->id, "Device id")->required();
  get->add_flag("--explain", flags->explain, "Show where each value comes from (schema default, group, device)");
  on_run(get, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"GET", device_path(flags->id) + "/config", {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (ctx.json()) {
      *ctx.out << pretty_json(answer->body) << "\n";
    } else if (flags->explain) {
      print_explained(ctx, answer->body);
    } else {
      *ctx.out << pretty_json(answer->body.as_object().at("config")) << "\n";
    }
    return {};
  });

  auto* set = config->add_subcommand("set", "Set keys of a device's config in one revision: KEY=VALUE...");
  set->add_option("device", flags->id, "Device id")->required();
  set->add_option("assignments", flags->assignments, "KEY=VALUE (dotted path or JSON pointer; VALUE JSON or text)")
      ->required();
  set->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  add_wait_flag(set, *flags);
  on_run(set, ctx, [&ctx, flags]() -> core::Status {
    HENGE_TRY(set_keys(ctx, device_values(flags->id), flags->assignments, flags->dry_run));
    return flags->wait ? wait_applied(ctx, flags->id) : core::Status{};
  });

  auto* unset = config->add_subcommand("unset", "Remove a device's own value for a key");
  unset->add_option("device", flags->id, "Device id")->required();
  unset->add_option("key", flags->key, "Dotted path or JSON pointer")->required();
  unset->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  add_wait_flag(unset, *flags);
  on_run(unset, ctx, [&ctx, flags]() -> core::Status {
    auto pointer = key_to_pointer(flags->key);
    if (!pointer.ok()) return std::move(pointer).error();
    auto parsed = core::JsonPointer::parse(*pointer);
    std::string path = device_path(flags->id) + "/config";
    for (const auto& token : parsed->tokens()) path += "/" + url_encode(core::escape_pointer_token(token));
    HENGE_TRY(write_and_report(ctx, ApiCall{"DELETE", path, {}, {}, {}}, flags->dry_run, revision_summary));
    return flags->wait ? wait_applied(ctx, flags->id) : core::Status{};
  });

  auto* patch = config->add_subcommand("patch", "Merge a JSON merge patch (RFC 7386) into a device's own values");
  patch->add_option("device", flags->id, "Device id")->required();
  patch->add_option("-f,--file", flags->file, "The merge patch, - for stdin")->required();
  patch->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  add_wait_flag(patch, *flags);
  on_run(patch, ctx, [&ctx, flags]() -> core::Status {
    auto document = read_json_file(flags->file);
    if (!document.ok()) return std::move(document).error();
    HENGE_TRY(write_and_report(
        ctx,
        ApiCall{"PATCH", device_path(flags->id) + "/config", std::move(*document), "application/merge-patch+json", {}},
        flags->dry_run, revision_summary));
    return flags->wait ? wait_applied(ctx, flags->id) : core::Status{};
  });

  auto* history = config->add_subcommand("history", "List the revisions of a device's config, newest first");
  history->add_option("device", flags->id, "Device id")->required();
  history->add_option("--limit", flags->limit, "At most this many")->check(CLI::PositiveNumber)->capture_default_str();
  on_run(history, ctx, [&ctx, flags]() -> core::Status {
    auto entries = ctx.list_all(device_path(flags->id) + "/history", flags->limit);
    if (!entries.ok()) return std::move(entries).error();
    print_list(ctx, *entries, {"REVISION", "AT", "ACTOR", "ACTION", "SHA256"},
               [](const json::value& e) -> std::vector<std::string> {
                 return {field(e, "revision"), field(e, "at"), field(e, "actor"), field(e, "action"),
                         field(e, "sha256").substr(0, 12)};
               });
    return {};
  });

  auto* rollback = config->add_subcommand("rollback", "Make a new revision whose config equals an old one");
  rollback->add_option("device", flags->id, "Device id")->required();
  rollback->add_option("revision", flags->revision, "The revision to return to")
      ->required()
      ->check(CLI::PositiveNumber);
  rollback->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  add_wait_flag(rollback, *flags);
  on_run(rollback, ctx, [&ctx, flags]() -> core::Status {
    HENGE_TRY(write_and_report(ctx,
                               ApiCall{"POST",
                                       device_path(flags->id) + "/rollback",
                                       json::object{{"revision", flags->revision}},
                                       "application/json",
                                       {}},
                               flags->dry_run, revision_summary));
    return flags->wait ? wait_applied(ctx, flags->id) : core::Status{};
  });
}

}  // namespace henge::cli
