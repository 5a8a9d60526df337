// henge-loadgen: holds many device streams open against henged (or, to compare, MQTT,
// etcd or NATS key-value subscribers against a broker: --protocol) and measures when events reach
// them. Driven over stdin/stdout, one command a line, one JSON answer a line, so that a
// driver can run several of these processes (each process may hold only so many open
// files) and time writes against all of them:
//
//   status                      counts of streams by state, events, RSS
//   wait-open N TIMEOUT_MS      until N streams are open (or the timeout)
//   arm                         record each stream's first event from now on
//   collect T0_NS N TIMEOUT_MS  until N armed streams had theirs: delays from T0_NS
//   quit
//
// Times are CLOCK_MONOTONIC nanoseconds, the same clock in every process on the host
// (Node's process.hrtime.bigint() reads it too).

#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fleet.hpp"

namespace {

using henge::loadgen::Arrivals;
using henge::loadgen::Fleet;
using henge::loadgen::now_ns;

bool parse_endpoint(const std::string& text, sockaddr_in& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  out = {};
  out.sin_family = AF_INET;
  const int port = std::atoi(text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  out.sin_port = htons(static_cast<std::uint16_t>(port));
  return ::inet_pton(AF_INET, text.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

// "127.0.0.2" or a range "127.0.0.2-127.0.0.9" (of the last octet).
bool parse_sources(const std::string& text, std::vector<in_addr>& out) {
  const auto dash = text.find('-');
  in_addr first{};
  in_addr last{};
  if (::inet_pton(AF_INET, text.substr(0, dash).c_str(), &first) != 1) return false;
  if (dash == std::string::npos) {
    out.push_back(first);
    return true;
  }
  if (::inet_pton(AF_INET, text.substr(dash + 1).c_str(), &last) != 1) return false;
  for (auto a = ntohl(first.s_addr); a <= ntohl(last.s_addr); ++a) out.push_back(in_addr{htonl(a)});
  return !out.empty();
}

// `henge device import`'s output: a header line "id,token", then one device a line.
bool read_devices(const std::string& path, std::size_t first, std::size_t count,
                  std::vector<henge::loadgen::Identity>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::string line;
  std::size_t index = 0;
  while (std::getline(in, line) && out.size() < count) {
    if (line.empty() || line == "id,token") continue;
    const auto comma = line.rfind(',');
    if (comma == std::string::npos) {
      error = path + ": expected id,token lines, got '" + line.substr(0, 40) + "'";
      return false;
    }
    if (index++ >= first) out.push_back({line.substr(0, comma), line.substr(comma + 1)});
  }
  if (out.size() < count && count != SIZE_MAX) {
    error = path + " has " + std::to_string(index) + " tokens, fewer than --first + --count";
    return false;
  }
  return true;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return 0;
}

std::string status_json(const Fleet& fleet) {
  const auto& c = fleet.counts();
  std::ostringstream o;
  o << R"({"streams":)" << fleet.size() << R"(,"open":)" << c.open << R"(,"connecting":)" << c.connecting
    << R"(,"waiting":)" << c.waiting << R"(,"refused":)" << c.refused << R"(,"connects":)" << c.connects
    << R"(,"failures":)" << c.failures << R"(,"events":)" << c.events << R"(,"last_open_ns":)" << c.last_open_ns
    << R"(,"rss_kib":)" << rss_kib() << "}";
  return o.str();
}

std::string arrivals_json(const Arrivals& a, std::int64_t t0, std::size_t wanted) {
  std::vector<std::int64_t> us;
  us.reserve(a.ns.size());
  for (auto t : a.ns) us.push_back((t - t0) / 1000);
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us.empty() ? -1
                      : us[std::min(us.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(us.size())))];
  };
  std::ostringstream o;
  o << R"({"received":)" << us.size() << R"(,"wanted":)" << wanted << R"(,"max_revision":)" << a.max_revision
    << R"(,"min_us":)" << (us.empty() ? -1 : us.front()) << R"(,"p50_us":)" << pct(50) << R"(,"p99_us":)" << pct(99)
    << R"(,"max_us":)" << (us.empty() ? -1 : us.back()) << "}";
  return o.str();
}

void answer(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"henge-loadgen: many device streams in one process, driven over stdin"};
  std::string protocol = "henge";
  std::vector<std::string> servers;
  std::vector<std::string> sources;
  std::string tokens_path;
  std::size_t first = 0;
  std::size_t count = SIZE_MAX;
  henge::loadgen::FleetOptions opt;
  app.add_option("--server", servers, "henged address HOST:PORT (repeatable: streams go round robin)")->required();
  app.add_option("--tokens", tokens_path, "File of id,token lines (henge device import's output)")->required();
  app.add_option("--protocol", protocol,
                 "henge (device streams); mqtt, mqtt-qos1, etcd or nats (subscribers on dev/<id> and --shared)");
  app.add_option("--shared", opt.session.shared, "mqtt, etcd, nats: the topic or key every stream also watches");
  app.add_option("--bucket", opt.session.nats_bucket, "nats: the key-value bucket");
  app.add_option("--first", first, "Skip this many tokens");
  app.add_option("--count", count, "Use this many tokens (default: all after --first)");
  app.add_option("--source", sources, "Local address or range to connect from, 127.0.0.2-127.0.0.9 (repeatable)");
  app.add_option("--max-connecting", opt.max_connecting, "Connections being set up at once")
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-rate", opt.connect_rate, "New connections a second (0: as fast as allowed)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help on stdout, exit 0; a usage error exits 2
  }

  for (const auto& s : servers) {
    sockaddr_in a{};
    if (!parse_endpoint(s, a)) {
      std::fprintf(stderr, "henge-loadgen: --server wants IPv4:PORT, not '%s'\n", s.c_str());
      return 2;
    }
    opt.servers.push_back(a);
  }
  for (const auto& s : sources) {
    if (!parse_sources(s, opt.sources)) {
      std::fprintf(stderr, "henge-loadgen: --source wants an IPv4 address or range, not '%s'\n", s.c_str());
      return 2;
    }
  }
  if (const auto p = henge::loadgen::parse_protocol(protocol)) {
    opt.protocol = *p;
  } else {
    std::fprintf(stderr, "henge-loadgen: --protocol is henge, mqtt, mqtt-qos1, etcd or nats, not '%s'\n",
                 protocol.c_str());
    return 2;
  }
  std::vector<henge::loadgen::Identity> devices;
  std::string error;
  if (!read_devices(tokens_path, first, count, devices, error)) {
    std::fprintf(stderr, "henge-loadgen: %s\n", error.c_str());
    return 1;
  }
  if (devices.empty()) {
    std::fprintf(stderr, "henge-loadgen: no devices to stream for\n");
    return 1;
  }

  Fleet fleet(std::move(opt), std::move(devices));
  fleet.start();
  std::string pending;
  std::array<char, 4096> buf{};
  for (;;) {
    fleet.run_until(INT64_MAX, STDIN_FILENO);
    const auto n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n <= 0) return 0;  // the driver went away
    pending.append(buf.data(), static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      std::istringstream cmd(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      std::string verb;
      cmd >> verb;
      if (verb == "status") {
        answer(status_json(fleet));
      } else if (verb == "wait-open") {
        std::size_t want = 0;
        std::int64_t timeout_ms = 0;
        cmd >> want >> timeout_ms;
        const auto start = now_ns();
        const auto deadline = start + timeout_ms * 1'000'000;
        while (fleet.counts().open < want && now_ns() < deadline)
          fleet.run_until(std::min(deadline, now_ns() + 10'000'000), -1);
        answer(R"({"ok":)" + std::string(fleet.counts().open >= want ? "true" : "false") + R"(,"ms":)" +
               std::to_string((now_ns() - start) / 1'000'000) + R"(,"status":)" + status_json(fleet) + "}");
      } else if (verb == "arm") {
        fleet.arm();
        answer(R"({"armed":true})");
      } else if (verb == "collect") {
        std::int64_t t0 = 0;
        std::size_t want = 0;
        std::int64_t timeout_ms = 0;
        cmd >> t0 >> want >> timeout_ms;
        const auto deadline = now_ns() + timeout_ms * 1'000'000;
        while (fleet.arrivals().ns.size() < want && now_ns() < deadline) {
          fleet.run_until(std::min(deadline, now_ns() + 10'000'000), -1);
        }
        answer(arrivals_json(fleet.arrivals(), t0, want));
      } else if (verb == "quit") {
        return 0;
      } else if (!verb.empty()) {
        answer(R"({"error":"unknown command"})");
      }
    }
  }
}
