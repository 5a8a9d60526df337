// henge-agent: the reference device client. Flags, HENGE_* variables or
// /etc/henge/agent.conf configure it; SIGTERM or SIGINT stops it cleanly.

#include <pthread.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "agent/agent.hpp"
#include "client/protocol.hpp"
#include "log/log.hpp"

namespace {

namespace agent = henge::agent;
namespace log = henge::log;
using std::chrono::milliseconds;

constexpr double seconds_of(std::chrono::milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

struct Flags {
  std::string server;
  std::string token_file;
  std::string output;
  std::string verify_cmd;
  std::string apply_cmd;
  std::string state_dir = "/var/lib/henge-agent";
  std::string ca_file;
  double keepalive = seconds_of(henge::client::protocol::kDefaultKeepalive);
  double command_timeout = 60;
  std::size_t max_config_bytes = 16 << 20;
  double backoff_base = seconds_of(henge::client::protocol::kBackoffBase);
  double backoff_cap = seconds_of(henge::client::protocol::kBackoffCap);
  std::string log_format = "text";
  std::string log_level = "info";
};

milliseconds millis(double seconds) {
  return milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// Test-only fault injection: HENGE_AGENT_FAULT names a point of the file write
// ("half_written" or "staged") at which the agent kills itself, as a power cut would.
henge::files::FaultProbe fault_probe() {
  const char* at = std::getenv("HENGE_AGENT_FAULT");
  if (at == nullptr || *at == '\0') return nullptr;
  return [point = std::string(at)](std::string_view here) {
    if (here == point) {
      log::warn("HENGE_AGENT_FAULT: killing the agent", {{"at", point}});
      std::raise(SIGKILL);
    }
  };
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App cli{"henge-agent: receives a device's configuration from henged and applies it atomically"};
  cli.set_config("--config", "/etc/henge/agent.conf", "Settings file (TOML/INI: server = \"https://…\")");
  cli.add_option("--server", f.server, "henged's URL, http:// or https://")->envname("HENGE_SERVER")->required();
  cli.add_option("--token-file", f.token_file, "File holding the device token (hdt_…)")
      ->envname("HENGE_TOKEN_FILE")
      ->required();
  cli.add_option("--output", f.output, "The config file to write")->envname("HENGE_OUTPUT")->required();
  cli.add_option("--verify-cmd", f.verify_cmd, "Command run on the staged file; failing rejects the config")
      ->envname("HENGE_VERIFY_CMD");
  cli.add_option("--apply-cmd", f.apply_cmd, "Command run after the file is in place")->envname("HENGE_APPLY_CMD");
  cli.add_option("--state-dir", f.state_dir, "Where the applied revision is kept")
      ->envname("HENGE_STATE_DIR")
      ->capture_default_str();
  cli.add_option("--ca-file", f.ca_file, "PEM file of CAs to trust for https (default: the system's)")
      ->envname("HENGE_CA_FILE")
      ->check(CLI::ExistingFile);
  cli.add_option("--keepalive", f.keepalive, "The server's keepalive interval in seconds; 3 unheard = dead stream")
      ->envname("HENGE_KEEPALIVE")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--command-timeout", f.command_timeout, "Seconds a verify or apply command may run")
      ->envname("HENGE_COMMAND_TIMEOUT")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cli.add_option("--max-config-bytes", f.max_config_bytes, "The largest config taken; a larger one is rejected")
      ->envname("HENGE_MAX_CONFIG_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  cli.add_option("--backoff-base", f.backoff_base, "Reconnect backoff base in seconds")
      ->envname("HENGE_BACKOFF_BASE")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  cli.add_option("--backoff-cap", f.backoff_cap, "Reconnect backoff cap in seconds (also the wait after 401/403)")
      ->envname("HENGE_BACKOFF_CAP")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--log-format", f.log_format, "text or json")
      ->envname("HENGE_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  cli.add_option("--log-level", f.log_level, "debug, info, warn or error")
      ->envname("HENGE_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 after CLI11's one-line message.
    return cli.exit(e) == 0 ? 0 : 2;
  }

  log::Level level = log::Level::info;
  log::parse_level(f.log_level, level);
  log::configure(level, f.log_format == "json" ? log::Format::json : log::Format::text);

  auto url = henge::client::parse_url(f.server);
  if (!url.ok()) {
    std::cerr << "henge-agent: " << url.error().message << "\n";
    return 2;
  }
  if (f.backoff_cap < f.backoff_base) {
    std::cerr << "henge-agent: --backoff-cap must not be below --backoff-base\n";
    return 2;
  }
  const auto output_dir = std::filesystem::absolute(f.output).parent_path();
  if (!std::filesystem::is_directory(output_dir)) {
    std::cerr << "henge-agent: the output's directory " << output_dir.string() << " does not exist\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(f.state_dir, ec);
  if (ec) {
    std::cerr << "henge-agent: cannot create the state directory " << f.state_dir << ": " << ec.message() << "\n";
    return 2;
  }
  auto state = agent::load_state(f.state_dir);
  if (!state.ok()) {
    std::cerr << "henge-agent: " << state.error().message << "\n";
    return 1;
  }

  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  henge::client::HttpClient http(*url, henge::client::TlsOptions{f.ca_file});
  agent::Applier applier(agent::ApplierSettings{f.output, f.verify_cmd, f.apply_cmd, millis(f.command_timeout)},
                         fault_probe());
  agent::Backoff backoff(
      agent::BackoffPolicy{millis(f.backoff_base), millis(f.backoff_cap), henge::client::protocol::kHealthyConnection},
      std::random_device{}());
  agent::AgentSettings settings;
  settings.token_file = f.token_file;
  settings.state_dir = f.state_dir;
  settings.keepalive = millis(f.keepalive);
  settings.max_config_bytes = f.max_config_bytes;
  agent::Agent agent(settings, http, applier, backoff, std::move(*state));

  std::thread signals([&agent, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    agent.stop();
  });
  const int code = agent.run();
  signals.join();
  return code;
}
