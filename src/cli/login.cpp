// henge login: check a server and token, then remember them for later commands.
#include "cli/context.hpp"
#include "cli/credentials.hpp"

namespace henge::cli {

using core::Errc;
using core::make_error;

void add_login_command(CLI::App& app, Context& ctx) {
  auto* login = app.add_subcommand("login", "Check --server and --token (or HENGE_SERVER/HENGE_TOKEN) and save them");
  on_run(login, ctx, [&ctx]() -> core::Status {
    if (ctx.server.empty() || ctx.token.empty()) {
      return make_error(Errc::invalid, "henge login needs --server and --token (or HENGE_SERVER and HENGE_TOKEN)");
    }
    // Any operator token may list devices; this proves the server and the token at once.
    auto answer = ctx.call(ApiCall{"GET", "/v1/devices?limit=1", {}, {}, {}});
    if (!answer.ok()) return std::move(answer).error();
    if (auto st = save_credentials(Credentials{ctx.server, ctx.token}); !st.ok()) return st;
    *ctx.out << "logged in to " << ctx.server << "; saved in " << credentials_path() << "\n";
    return {};
  });
}

}  // namespace henge::cli
