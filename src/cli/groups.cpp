// henge group apply|get|rm|set|unset|list
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/edit_values.hpp"
#include "cli/output.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

struct GroupFlags {
  std::string name;
  std::string file;
  std::vector<std::string> assignments;
  std::string key;
  bool dry_run = false;
};

ValuesResource group_values(const std::string& name) {
  const auto path = "/v1/groups/" + url_encode(name) + "/config";
  return ValuesResource{path, path, [](const json::value& answer) { return answer.as_object().at("config"); }};
}

}  // namespace

void add_group_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<GroupFlags>();
  auto* group = app.add_subcommand("group", "Groups: config shared by the devices in them")->require_subcommand(1);

  auto* apply =
      group->add_subcommand("apply", "Create or update a group from a file: {\"priority\": 0, \"config\": {…}}");
  apply->add_option("name", flags->name, "Group name")->required();
  apply->add_option("-f,--file", flags->file, "The group's JSON, - for stdin")->required();
  apply->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(apply, ctx, [&ctx, flags]() -> core::Status {
    auto document = read_json_file(flags->file);
    if (!document.ok()) return std::move(document).error();
    if (!document->is_object()) return make_error(Errc::invalid, flags->file + " must hold a JSON object");
    return write_and_report(
        ctx, ApiCall{"PUT", "/v1/groups/" + url_encode(flags->name), std::move(*document), "application/json", {}},
        flags->dry_run, [](const ApiAnswer& a) {
          return "group " + field(a.body, "name") + " at revision " + field(a.body, "revision");
        });
  });

  auto* get = group->add_subcommand("get", "Show a group");
  get->add_option("name", flags->name, "Group name")->required();
  on_run(get, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"GET", "/v1/groups/" + url_encode(flags->name), {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (ctx.json()) {
      *ctx.out << pretty_json(answer->body) << "\n";
    } else {
      *ctx.out << "name: " << field(answer->body, "name") << "\npriority: " << field(answer->body, "priority")
               << "\nrevision: " << field(answer->body, "revision")
               << "\nconfig: " << pretty_json(answer->body.as_object().at("config")) << "\n";
    }
    return {};
  });

  auto* rm = group->add_subcommand("rm", "Delete a group; its config stops applying to its members");
  rm->add_option("name", flags->name, "Group name")->required();
  on_run(rm, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"DELETE", "/v1/groups/" + url_encode(flags->name), {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (!ctx.json()) *ctx.out << "group " << flags->name << " removed\n";
    return {};
  });

  auto* set = group->add_subcommand("set", "Set keys of a group's config: KEY=VALUE...");
  set->add_option("name", flags->name, "Group name")->required();
  set->add_option("assignments", flags->assignments, "KEY=VALUE (dotted path or JSON pointer)")->required();
  set->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(set, ctx, [&ctx, flags]() -> core::Status {
    return set_keys(ctx, group_values(flags->name), flags->assignments, flags->dry_run);
  });

  auto* unset = group->add_subcommand("unset", "Remove a key from a group's config");
  unset->add_option("name", flags->name, "Group name")->required();
  unset->add_option("key", flags->key, "Dotted path or JSON pointer")->required();
  unset->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(unset, ctx, [&ctx, flags]() -> core::Status {
    return unset_key(ctx, group_values(flags->name), flags->key, flags->dry_run);
  });

  auto* list = group->add_subcommand("list", "List groups");
  on_run(list, ctx, [&ctx]() -> core::Status {
    auto all = ctx.list_all("/v1/groups", 100000);
    if (!all.ok()) return std::move(all).error();
    print_list(ctx, *all, {"NAME", "PRIORITY", "REVISION", "KEYS"}, [](const json::value& g) {
      const auto& config = g.as_object().at("config");
      return std::vector<std::string>{field(g, "name"), field(g, "priority"), field(g, "revision"),
                                      std::to_string(config.is_object() ? config.as_object().size() : 0)};
    });
    return {};
  });
}

}  // namespace henge::cli
