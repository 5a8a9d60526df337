// henge schema apply|get|versions|list
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"

namespace henge::cli {

namespace json = boost::json;

namespace {

struct SchemaFlags {
  std::string name;
  std::string file;
  unsigned version = 0;
  bool dry_run = false;
};

void print_versions(Context& ctx, const json::array& versions) {
  print_list(ctx, versions, {"NAME", "VERSION", "REVISION", "CREATED"}, [](const json::value& v) {
    return std::vector<std::string>{field(v, "name"), field(v, "version"), field(v, "revision"),
                                    field(v, "created_at")};
  });
}

}  // namespace

void add_schema_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<SchemaFlags>();
  auto* schema = app.add_subcommand("schema", "Upload and read JSON Schemas for device configs")->require_subcommand(1);

  auto* apply = schema->add_subcommand("apply", "Store a JSON Schema file as the schema's next version");
  apply->add_option("name", flags->name, "Schema name")->required();
  apply->add_option("-f,--file", flags->file, "The JSON Schema (draft-07) file, - for stdin")->required();
  apply->add_flag("--dry-run", flags->dry_run, "Show what would change; change nothing");
  on_run(apply, ctx, [&ctx, flags]() -> core::Status {
    auto document = read_json_file(flags->file);
    if (!document.ok()) return std::move(document).error();
    return write_and_report(
        ctx, ApiCall{"PUT", "/v1/schemas/" + url_encode(flags->name), std::move(*document), "application/json", {}},
        flags->dry_run, [](const ApiAnswer& a) {
          return "schema " + field(a.body, "name") + " is at version " + field(a.body, "version") +
                 (a.status == 201 ? "" : " (unchanged)");
        });
  });

  auto* get = schema->add_subcommand("get", "Print a schema document (the latest version, or --version)");
  get->add_option("name", flags->name, "Schema name")->required();
  get->add_option("--version", flags->version, "Which version")->check(CLI::PositiveNumber);
  on_run(get, ctx, [&ctx, flags]() -> core::Status {
    auto path = "/v1/schemas/" + url_encode(flags->name);
    if (flags->version > 0) path += "?version=" + std::to_string(flags->version);
    auto answer = ctx.call(ApiCall{"GET", path, {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    const auto* document = answer->body.as_object().if_contains("schema");
    *ctx.out << pretty_json(ctx.json() || document == nullptr ? answer->body : *document) << "\n";
    return {};
  });

  auto* versions = schema->add_subcommand("versions", "List a schema's versions");
  versions->add_option("name", flags->name, "Schema name")->required();
  on_run(versions, ctx, [&ctx, flags]() -> core::Status {
    auto all = ctx.list_all("/v1/schemas/" + url_encode(flags->name) + "/versions", 100000);
    if (!all.ok()) return std::move(all).error();
    print_versions(ctx, *all);
    return {};
  });

  auto* list = schema->add_subcommand("list", "List schemas (their latest versions)");
  on_run(list, ctx, [&ctx]() -> core::Status {
    auto all = ctx.list_all("/v1/schemas", 100000);
    if (!all.ok()) return std::move(all).error();
    print_versions(ctx, *all);
    return {};
  });
}

}  // namespace henge::cli
