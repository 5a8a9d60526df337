// henge config get|set|unset|patch|history|rollback
#include <boost/json.hpp>

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
};

std::string device_path(const std::string& id) {
  return "/v1/devices/" + url_encode(id);
}

ValuesResource device_values(const std::string& id) {
  const auto path = device_path(id) + "/config";
  return ValuesResource{path, path, [](const json::value& answer) { return answer.as_object().at("values"); }};
}

void print_written(Context& ctx, const ApiAnswer& answer, bool dry_run) {
  if (dry_run) {
    print_dry_run(ctx, answer.body);
  } else if (ctx.json()) {
    *ctx.out << pretty_json(answer.body) << "\n";
  } else {
    *ctx.out << "revision " << field(answer.body, "revision") << "\n";
  }
}

// Every key of the effective config with its value and the layer it comes from.
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
    auto api = ctx.api();
    if (!api.ok()) return std::move(api).error();
    auto answer = (*api)->call(ApiCall{"GET", device_path(flags->id) + "/config", {}, {}, {}});
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
  on_run(set, ctx, [&ctx, flags]() -> core::Status {
    auto assignments = parse_assignments(flags->assignments);
    if (!assignments.ok()) return std::move(assignments).error();
    return edit_values(ctx, device_values(flags->id), flags->dry_run, [&](json::value& values) -> core::Status {
      for (const auto& a : *assignments) HENGE_TRY(core::set_at(values, *core::JsonPointer::parse(a.pointer), a.value));
      return {};
    });
  });

  auto* unset = config->add_subcommand("unset", "Remove a device's own value for a key");
  unset->add_option("device", flags->id, "Device id")->required();
  unset->add_option("key", flags->key, "Dotted path or JSON pointer")->required();
  unset->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(unset, ctx, [&ctx, flags]() -> core::Status {
    auto pointer = key_to_pointer(flags->key);
    if (!pointer.ok()) return std::move(pointer).error();
    auto parsed = core::JsonPointer::parse(*pointer);
    std::string path = device_path(flags->id) + "/config";
    for (const auto& token : parsed->tokens()) path += "/" + url_encode(core::escape_pointer_token(token));
    if (flags->dry_run) path += "?dry_run=true";
    auto api = ctx.api();
    if (!api.ok()) return std::move(api).error();
    auto answer = (*api)->call(ApiCall{"DELETE", path, {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    print_written(ctx, *answer, flags->dry_run);
    return {};
  });

  auto* patch = config->add_subcommand("patch", "Merge a JSON merge patch (RFC 7386) into a device's own values");
  patch->add_option("device", flags->id, "Device id")->required();
  patch->add_option("-f,--file", flags->file, "The merge patch, - for stdin")->required();
  patch->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(patch, ctx, [&ctx, flags]() -> core::Status {
    auto document = read_json_file(flags->file);
    if (!document.ok()) return std::move(document).error();
    auto api = ctx.api();
    if (!api.ok()) return std::move(api).error();
    const auto path = device_path(flags->id) + "/config" + (flags->dry_run ? "?dry_run=true" : "");
    auto answer = (*api)->call(ApiCall{"PATCH", path, std::move(*document), "application/merge-patch+json", {}});
    if (!answer.ok()) return std::move(answer).error();
    print_written(ctx, *answer, flags->dry_run);
    return {};
  });

  auto* history = config->add_subcommand("history", "List the revisions of a device's config, newest first");
  history->add_option("device", flags->id, "Device id")->required();
  history->add_option("--limit", flags->limit, "At most this many")->check(CLI::PositiveNumber)->capture_default_str();
  on_run(history, ctx, [&ctx, flags]() -> core::Status {
    auto entries = ctx.list_all(device_path(flags->id) + "/history", flags->limit);
    if (!entries.ok()) return std::move(entries).error();
    if (ctx.json()) {
      *ctx.out << pretty_json(*entries) << "\n";
      return {};
    }
    Table table({"REVISION", "AT", "ACTOR", "ACTION", "SHA256"});
    for (const auto& e : *entries) {
      table.add({field(e, "revision"), field(e, "at"), field(e, "actor"), field(e, "action"),
                 field(e, "sha256").substr(0, 12)});
    }
    table.print(*ctx.out);
    return {};
  });

  auto* rollback = config->add_subcommand("rollback", "Make a new revision whose config equals an old one");
  rollback->add_option("device", flags->id, "Device id")->required();
  rollback->add_option("revision", flags->revision, "The revision to return to")
      ->required()
      ->check(CLI::PositiveNumber);
  rollback->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(rollback, ctx, [&ctx, flags]() -> core::Status {
    auto api = ctx.api();
    if (!api.ok()) return std::move(api).error();
    const auto path = device_path(flags->id) + "/rollback" + (flags->dry_run ? "?dry_run=true" : "");
    auto answer =
        (*api)->call(ApiCall{"POST", path, json::object{{"revision", flags->revision}}, "application/json", {}});
    if (!answer.ok()) return std::move(answer).error();
    print_written(ctx, *answer, flags->dry_run);
    return {};
  });
}

}  // namespace henge::cli
