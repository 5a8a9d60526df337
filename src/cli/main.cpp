// henge: the operator's command-line tool over henged's admin API.
// Exit codes: 0 done, 1 the server or the network said no, 2 bad usage.

#include <csignal>
#include <iostream>

#include "cli/context.hpp"

int main(int argc, char** argv) {
  namespace cli = henge::cli;
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  CLI::App app{"henge: manage a fleet's configuration through henged"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--server", ctx.server, "henged's URL")->envname("HENGE_SERVER");
  app.add_option("--token", ctx.token, "Operator token")->envname("HENGE_TOKEN");
  app.add_option("-o,--output", ctx.output, "table (for people) or json (for scripts)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", ctx.timeout_s, "Seconds to wait for each answer")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cli::add_login_command(app, ctx);
  cli::add_device_commands(app, ctx);
  cli::add_schema_commands(app, ctx);
  cli::add_group_commands(app, ctx);
  cli::add_config_commands(app, ctx);
  cli::add_fleet_commands(app, ctx);
  cli::add_token_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 after CLI11's one-line message.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (!ctx.action) {
    std::cerr << app.help();
    return 2;
  }
  auto status = ctx.action();
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "henge: " << status.error().message << "\n";
    return 1;
  }
  return 0;
}
