#pragma once
// Many streams in one thread: non-blocking sockets on one epoll instance, each stream a
// small record. A stream connects (bound to one of several local addresses, so that
// more streams than one address has ephemeral ports can reach one server), speaks its
// protocol through a Session (henge's device stream, or an MQTT, etcd or NATS subscriber to
// compare with), and records when each event arrives. A stream that ends reconnects as
// henge-agent does: full-jitter exponential backoff, Retry-After honoured, a goaway's
// retry window.

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "session.hpp"

namespace henge::loadgen {

std::int64_t now_ns();  ///< CLOCK_MONOTONIC: comparable between processes on one host

struct FleetOptions {
  Protocol protocol = Protocol::henge;
  SessionOptions session;
  std::vector<sockaddr_in> servers;  ///< streams are spread over these, round robin
  std::vector<in_addr> sources;      ///< local addresses to connect from, round robin
  unsigned max_connecting = 256;     ///< connects in flight at once
  double connect_rate = 0;           ///< new connects a second; 0: as fast as allowed
  std::int64_t base_delay_ms = 500;  ///< the agent's backoff policy
  std::int64_t cap_delay_ms = 60'000;
  std::int64_t healthy_ms = 30'000;
  std::int64_t ping_ms = 15'000;  ///< client keepalives, for protocols that have them
};

struct Counts {
  std::size_t open = 0;           ///< streaming (200 received)
  std::size_t connecting = 0;     ///< connect or request in flight
  std::size_t waiting = 0;        ///< backing off before the next try
  std::size_t refused = 0;        ///< 401/403: given up, as retrying will not help
  std::uint64_t connects = 0;     ///< connections opened, ever
  std::uint64_t failures = 0;     ///< tries that ended before or after streaming
  std::uint64_t events = 0;       ///< events received
  std::int64_t last_open_ns = 0;  ///< when a stream last became open
};

/// What an armed measurement saw: for each stream, the delay from `t0` to the first
/// event newer than the one it had when armed.
struct Arrivals {
  std::vector<std::int64_t> ns;  ///< arrival times (absolute, now_ns())
  std::int64_t max_revision = 0;
};

class Fleet final {
 public:
  Fleet(FleetOptions options, std::vector<Identity> devices);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  /// Starts every stream (paced by the options).
  void start();
  /// Runs the loop until `until` (now_ns() time) or until `stdin_ready` says stdin is
  /// readable (when `watch_fd` >= 0). Returns true when `watch_fd` became readable.
  bool run_until(std::int64_t until, int watch_fd);

  [[nodiscard]] const Counts& counts() const { return counts_; }
  [[nodiscard]] std::size_t size() const;

  /// From now on, record each stream's first event newer than what it has.
  void arm();
  [[nodiscard]] const Arrivals& arrivals() const { return arrivals_; }

 private:
  struct Conn;
  void begin_connect(std::uint32_t i);
  void on_ready(std::uint32_t i, std::uint32_t events);
  void on_bytes(std::uint32_t i, std::string_view bytes);
  void end(std::uint32_t i, std::int64_t retry_after_ms);
  void stop(std::uint32_t i);
  void send_due_pings(std::int64_t now);
  void schedule(std::uint32_t i, std::int64_t delay_ms);
  void fire_due_timers(std::int64_t now);
  void start_waiting_connects(std::int64_t now);
  std::int64_t backoff_ms(Conn& c);

  FleetOptions opt_;
  std::vector<Identity> devices_;
  std::vector<Conn> conns_;
  int epoll_ = -1;
  Counts counts_;
  Arrivals arrivals_;
  bool armed_ = false;
  bool watching_ = false;  // the control descriptor is in the epoll set
  std::mt19937_64 rng_{0x6e6765};
  struct Timer;
  std::vector<Timer> timers_;         // a min-heap on due time
  std::vector<std::uint32_t> ready_;  // waiting streams whose time has come, FIFO
  std::size_t ready_head_ = 0;
  std::int64_t next_connect_ns_ = 0;  // pacing
  std::int64_t next_ping_sweep_ns_ = 0;
  Heard heard_;  // scratch
};

}  // namespace henge::loadgen
