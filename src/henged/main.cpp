// henged: the henge control plane. Flags and HENGE_* variables, wiring, signals.

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/app.hpp"
#include "core/crypto.hpp"
#include "log/log.hpp"
#include "push/fleet_events.hpp"
#include "push/hub.hpp"
#include "push/presence.hpp"
#include "server/rate_limiter.hpp"
#include "server/server.hpp"
#include "store/memory/memory_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/timed_store.hpp"

namespace fs = std::filesystem;
using namespace henge;

namespace {

struct Settings {
  std::string listen = "0.0.0.0:8080";
  std::string data_dir = "./henge-data";
  std::string store = "sqlite";
  std::string database_url;
  std::string replica_id;
  double replica_lease_seconds = 15;
  std::string admin_token;
  std::string log_format = "text";
  std::string log_level = "info";
  unsigned io_threads = 0;
  unsigned worker_threads = 4;
  std::size_t body_limit = 1 << 20;
  std::size_t config_limit = 256 << 10;
  std::size_t max_connections = 0;
  double drain_seconds = 10;
  double keepalive_seconds = 15;
  double header_timeout_seconds = 10;
  double body_timeout_seconds = 30;
  double idle_timeout_seconds = 60;
  std::string address_rate = "0";
  std::string operator_rate = "500,1000";
  std::string device_rate = "20,100";
  std::string stream_connect_rate = "1,5";
  std::size_t streams_per_address = 0;
  std::string tls_cert;
  std::string tls_key;
};

// CLI11 check for "RATE,BURST" settings.
std::string check_rate(const std::string& text) {
  server::RatePolicy ignored;
  return server::parse_rate_policy(text, ignored)
             ? std::string()
             : "must be RATE,BURST (requests a second, then how many at once), RATE, or 0 for no limit";
}

server::RatePolicy rate_of(const std::string& text) {
  server::RatePolicy p;
  server::parse_rate_policy(text, p);  // checked when parsed
  return p;
}

std::chrono::milliseconds millis_of(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

constexpr std::size_t kMinAdminTokenLength = 16;

int fail(const std::string& message) {
  std::fprintf(stderr, "henged: %s\n", message.c_str());
  return 1;
}

// Writes the generated admin token where only its owner can read it.
bool write_secret(const fs::path& path, const std::string& secret) {
  const auto old_mask = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  out << secret << '\n';
  out.close();
  ::umask(old_mask);
  return static_cast<bool>(out) && ::chmod(path.c_str(), 0600) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates an arena of its own, and a stream's
  // memory is allocated by workers and io threads alike; two arenas keep the
  // per-stream footprint down at no measurable cost to latency on small machines.
  mallopt(M_ARENA_MAX, 2);
  Settings s;
  CLI::App cli{"henged — the henge control plane: configuration for fleets of small devices"};
  cli.add_option("--listen", s.listen, "Address to serve HTTP on, host:port (port 0 picks one)")
      ->envname("HENGE_LISTEN")
      ->capture_default_str();
  cli.add_option("--data-dir", s.data_dir, "Where the SQLite store and the admin token file live")
      ->envname("HENGE_DATA_DIR")
      ->capture_default_str();
  cli.add_option("--store", s.store,
                 "Storage backend: sqlite (durable, one node), postgres (many replicas; needs --database-url) or "
                 "memory (lost on exit)")
      ->envname("HENGE_STORE")
      ->check(CLI::IsMember({"sqlite", "postgres", "memory"}))
      ->capture_default_str();
  cli.add_option("--database-url", s.database_url,
                 "PostgreSQL to store in, as postgres://user:password@host:port/database (implies --store "
                 "postgres); any number of henged replicas can share it")
      ->envname("HENGE_DATABASE_URL");
  cli.add_option("--replica-id", s.replica_id,
                 "This replica's name in the database's connection records (default: host name and a random suffix)")
      ->envname("HENGE_REPLICA_ID");
  cli.add_option("--replica-lease", s.replica_lease_seconds,
                 "Seconds after which the streams of a replica that stopped renewing no longer count as connected")
      ->envname("HENGE_REPLICA_LEASE")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  cli.add_option(
         "--tls-cert", s.tls_cert,
         "PEM certificate chain to serve HTTPS with (TLS 1.2+; needs --tls-key). SIGHUP reloads it and the key; "
         "open streams stay")
      ->envname("HENGE_TLS_CERT");
  cli.add_option("--tls-key", s.tls_key, "PEM private key of --tls-cert")->envname("HENGE_TLS_KEY");
  cli.add_option("--admin-token", s.admin_token,
                 "Admin token named 'bootstrap' (16 characters at least). Without one, the first start generates "
                 "it, prints it once and writes it to <data-dir>/admin-token (mode 0600)")
      ->envname("HENGE_ADMIN_TOKEN");
  cli.add_option("--log-format", s.log_format, "Log format: text or json")
      ->envname("HENGE_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cli.add_option("--log-level", s.log_level, "Least severe level logged: debug, info, warn or error")
      ->envname("HENGE_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cli.add_option("--io-threads", s.io_threads, "Network threads (0 = one per core)")
      ->envname("HENGE_IO_THREADS")
      ->capture_default_str();
  cli.add_option("--worker-threads", s.worker_threads, "Threads that run handlers and store calls")
      ->envname("HENGE_WORKER_THREADS")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  cli.add_option("--body-limit", s.body_limit, "Largest request body in bytes (larger: 413)")
      ->envname("HENGE_BODY_LIMIT")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20))
      ->capture_default_str();
  cli.add_option("--config-limit", s.config_limit, "Largest effective config of a device in bytes (larger: 413)")
      ->envname("HENGE_CONFIG_LIMIT")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{16} << 20))
      ->capture_default_str();
  cli.add_option("--max-connections", s.max_connections,
                 "Open connections beyond which new ones are closed (0: the open-file limit less 256)")
      ->envname("HENGE_MAX_CONNECTIONS")
      ->capture_default_str();
  cli.add_option("--drain", s.drain_seconds,
                 "Seconds over which SIGTERM sends goaway to the device streams and lets requests finish")
      ->envname("HENGE_DRAIN")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cli.add_option("--keepalive", s.keepalive_seconds, "Seconds of silence after which a stream gets a keepalive")
      ->envname("HENGE_KEEPALIVE")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--header-timeout", s.header_timeout_seconds,
                 "Seconds to send a request's header, from its first byte (or from connecting, for a connection's "
                 "first request); slower clients are cut off")
      ->envname("HENGE_HEADER_TIMEOUT")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--body-timeout", s.body_timeout_seconds, "Seconds to send a request's body once its header is in")
      ->envname("HENGE_BODY_TIMEOUT")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--idle-timeout", s.idle_timeout_seconds, "Seconds a keep-alive connection may wait between requests")
      ->envname("HENGE_IDLE_TIMEOUT")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cli.add_option("--address-rate", s.address_rate,
                 "Requests per second and burst from one source address, as RATE,BURST (0: no limit; behind a load "
                 "balancer every request shares its address)")
      ->envname("HENGE_ADDRESS_RATE")
      ->check(check_rate)
      ->capture_default_str();
  cli.add_option("--operator-rate", s.operator_rate, "Requests per second and burst of one operator token")
      ->envname("HENGE_OPERATOR_RATE")
      ->check(check_rate)
      ->capture_default_str();
  cli.add_option("--device-rate", s.device_rate, "Device API requests per second and burst of one device")
      ->envname("HENGE_DEVICE_RATE")
      ->check(check_rate)
      ->capture_default_str();
  cli.add_option("--stream-connect-rate", s.stream_connect_rate,
                 "New streams per second and burst of one device (a device reconnecting in a loop gets 429)")
      ->envname("HENGE_STREAM_CONNECT_RATE")
      ->check(check_rate)
      ->capture_default_str();
  cli.add_option("--streams-per-address", s.streams_per_address,
                 "Open streams from one source address (0: no cap; behind a load balancer they share its address)")
      ->envname("HENGE_STREAMS_PER_ADDRESS")
      ->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0 on stdout; every usage error exits 2 after CLI11's one-line message.
    return cli.exit(e) == 0 ? 0 : 2;
  }
  // Everything henged creates — the data directory, henge.db and its journal, the
  // admin token — is its owner's alone.
  ::umask(077);

  log::Level level{};
  log::parse_level(s.log_level, level);
  log::configure(level, s.log_format == "json" ? log::Format::json : log::Format::text);

  // Whoever holds it owns the fleet; a short one is a placeholder left in place (the
  // Kubernetes base ships one on purpose) or guessable.
  if (!s.admin_token.empty() && s.admin_token.size() < kMinAdminTokenLength) {
    return fail("the admin token is shorter than " + std::to_string(kMinAdminTokenLength) +
                " characters: give a long random one (e.g. openssl rand -hex 32)");
  }
  if (!s.database_url.empty()) s.store = "postgres";
  std::unique_ptr<store::Store> store;
  if (s.store == "postgres") {
    if (s.database_url.empty()) return fail("--store postgres needs --database-url (or HENGE_DATABASE_URL)");
    if (s.replica_id.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      s.replica_id = std::string(host) + "-" + core::random_token(4);
    }
    auto opened = store::open_postgres_store({s.database_url, s.replica_id, millis_of(s.replica_lease_seconds)});
    if (!opened) return fail(opened.error().message);
    store = std::move(opened).value();
  } else if (s.store == "memory") {
    store = store::make_memory_store();
  } else {
    std::error_code ec;
    fs::create_directories(s.data_dir, ec);
    if (ec) return fail("cannot create the data directory " + s.data_dir + ": " + ec.message());
    auto opened = store::open_sqlite_store(fs::path(s.data_dir) / "henge.db");
    if (!opened) return fail(opened.error().message);
    store = std::move(opened).value();
  }

  auto bootstrap = api::ensure_bootstrap_token(*store, s.admin_token);
  if (!bootstrap) return fail("cannot set up the admin token: " + bootstrap.error().message);
  if (!bootstrap->empty() && s.admin_token.empty()) {
    std::printf("admin token (shown once): %s\n", bootstrap->c_str());
    std::fflush(stdout);
    if (s.store == "sqlite") {
      const auto path = fs::path(s.data_dir) / "admin-token";
      if (!write_secret(path, *bootstrap)) return fail("cannot write " + path.string());
      log::info("admin token written", {{"path", path.string()}});
    }
  }

  // No stream survives a restart; a device that had one is not connected now.
  if (auto reset = store->write([](store::WriteTx& tx) -> core::Status {
        tx.reset_connections();
        return {};
      });
      !reset) {
    return fail("cannot reset connection state: " + reset.error().message);
  }

  // Every store call is timed for /metrics.
  api::ApiMetrics metrics;
  store::TimedStore timed(*store, [&metrics](std::string_view kind, std::chrono::steady_clock::duration d) {
    metrics.store_seconds.at("kind=\"" + std::string(kind) + "\"").observe(std::chrono::duration<double>(d).count());
  });

  const auto millis = millis_of;
  push::Presence presence(timed, api::system_now);
  push::Hub hub(std::chrono::milliseconds(2000), &presence);
  push::FleetEvents fleet;
  store->set_change_listener([&hub](store::ChangeEvent e) { hub.publish(std::move(e)); });
  store->set_connections_lost_listener([&hub] { hub.record_all(); });
  hub.set_after_dispatch([&fleet](const store::ChangeEvent& e) { fleet.config_changed(e); });

  api::ApiOptions api_options;
  api_options.config_limit = s.config_limit;
  api_options.keepalive = millis(s.keepalive_seconds);
  api_options.limits.per_address = rate_of(s.address_rate);
  api_options.limits.per_operator = rate_of(s.operator_rate);
  api_options.limits.per_device = rate_of(s.device_rate);
  api_options.limits.stream_connects = rate_of(s.stream_connect_rate);
  api_options.limits.streams_per_address = s.streams_per_address;
  api::App app(timed, hub, fleet, api_options, api::system_now, metrics);

  server::ServerOptions opts;
  opts.listen = s.listen;
  opts.io_threads = s.io_threads;
  opts.worker_threads = s.worker_threads;
  opts.body_limit = s.body_limit;
  opts.max_connections = s.max_connections;
  opts.tls_cert = s.tls_cert;
  opts.tls_key = s.tls_key;
  opts.header_timeout = millis(s.header_timeout_seconds);
  opts.body_timeout = millis(s.body_timeout_seconds);
  opts.idle_timeout = millis(s.idle_timeout_seconds);
  opts.drain_timeout = millis(s.drain_seconds);
  opts.accept_grace = std::min(std::chrono::milliseconds(1000), millis(s.drain_seconds) / 10);
  server::Server server(opts, [&app](server::Request&& req) { return app.handle(std::move(req)); });
  metrics.gauges = [&listener = server](std::string& out) {
    namespace m = server::metrics;
    const auto stats = listener.stats();
    m::header(out, "henge_connections_open", "gauge", "Open connections, streams included.");
    m::sample(out, "henge_connections_open", "", static_cast<double>(stats.connections));
    m::header(out, "henge_streams_open", "gauge", "Open event streams (devices' and /v1/events').");
    m::sample(out, "henge_streams_open", "", static_cast<double>(stats.streams));
    m::header(out, "henge_requests_in_flight", "gauge", "Requests being handled.");
    m::sample(out, "henge_requests_in_flight", "", static_cast<double>(stats.in_flight));
  };
  auto bound = server.bind();
  if (!bound) return fail(bound.error().message);
  const std::string scheme = s.tls_cert.empty() ? "http" : "https";
  if (s.tls_cert.empty() && !server::is_loopback_address(*bound)) {
    log::warn(
        "serving the admin API over plain HTTP to the network: tokens and configs cross it unencrypted",
        {{"address", *bound}, {"fix", "--listen 127.0.0.1:8080 behind a TLS proxy, or --tls-cert and --tls-key"}});
  }
  if (s.store == "postgres") {
    log::info("listening", {{"address", *bound}, {"scheme", scheme}, {"store", s.store}, {"replica", s.replica_id}});
  } else {
    log::info("listening", {{"address", *bound}, {"scheme", scheme}, {"store", s.store}, {"data_dir", s.data_dir}});
  }
  const auto drain = millis(s.drain_seconds);
  server.run([&] {
    app.set_draining(true);
    fleet.close_all("shutdown");
    hub.drain(drain);
  });
  // The store outlives the hub; a PostgreSQL store's feed thread must stop calling it.
  store->set_change_listener(nullptr);
  store->set_connections_lost_listener(nullptr);
  return 0;
}
