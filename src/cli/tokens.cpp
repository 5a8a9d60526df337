// henge token add|list|rm: operator tokens and their roles (admin tokens only).
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"

namespace henge::cli {

namespace json = boost::json;

namespace {

struct TokenFlags {
  std::string name;
  std::string role;
  std::string expires_at;
  std::string token_file;
};

}  // namespace

void add_token_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<TokenFlags>();
  auto* token = app.add_subcommand("token", "Make, list and delete operator tokens (needs an admin token)")
                    ->require_subcommand(1);

  auto* add = token->add_subcommand("add", "Make an operator token and print it (once)");
  add->add_option("name", flags->name, "Token name (the actor in the audit log)")->required();
  add->add_option("--role", flags->role, "admin, operator or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer"}));
  add->add_option("--expires-at", flags->expires_at, "When it stops working, RFC 3339 (e.g. 2027-01-31T00:00:00Z)");
  add->add_option("--token-file", flags->token_file, "Write the token to this file (0600) instead of printing it");
  on_run(add, ctx, [&ctx, flags]() -> core::Status {
    json::object body{{"name", flags->name}, {"role", flags->role}};
    if (!flags->expires_at.empty()) body["expires_at"] = flags->expires_at;
    auto answer = ctx.call(ApiCall{"POST", "/v1/tokens", json::value(std::move(body)), "application/json", {}});
    if (!answer.ok()) return std::move(answer).error();
    const auto secret = field(answer->body, "token");
    if (!flags->token_file.empty()) {
      if (auto st = write_secret_file(flags->token_file, secret + "\n"); !st.ok()) return st;
    }
    if (ctx.json()) {
      *ctx.out << pretty_json(answer->body) << "\n";
    } else if (flags->token_file.empty()) {
      *ctx.out << "token " << flags->name << " (" << flags->role << ") made\ntoken: " << secret
               << "\n(shown once: keep it now)\n";
    } else {
      *ctx.out << "token " << flags->name << " (" << flags->role << ") written to " << flags->token_file
               << " (mode 0600)\n";
    }
    return {};
  });

  auto* list = token->add_subcommand("list", "List operator tokens (never their secrets)");
  on_run(list, ctx, [&ctx]() -> core::Status {
    auto answer = ctx.call(ApiCall{"GET", "/v1/tokens", {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    const auto* page = answer->body.if_object();
    const auto* items = page != nullptr ? page->if_contains("items") : nullptr;
    if (items == nullptr || !items->is_array()) {
      return core::make_error(core::Errc::internal, "the server's token list is not {\"items\": [...]}");
    }
    print_list(ctx, items->get_array(), {"NAME", "ROLE", "CREATED", "EXPIRES", "EXPIRED"},
               [](const json::value& t) -> std::vector<std::string> {
                 return {field(t, "name"), field(t, "role"), field(t, "created_at"), field(t, "expires_at"),
                         field(t, "expired")};
               });
    return {};
  });

  auto* rm = token->add_subcommand("rm", "Delete an operator token; it stops working at once");
  rm->add_option("name", flags->name, "Token name")->required();
  on_run(rm, ctx, [&ctx, flags]() -> core::Status {
    auto answer = ctx.call(ApiCall{"DELETE", "/v1/tokens/" + url_encode(flags->name), {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (!ctx.json()) *ctx.out << "token " << flags->name << " deleted\n";
    return {};
  });
}

}  // namespace henge::cli
