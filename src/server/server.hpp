#pragma once
// The HTTP/1.1 server: accepts connections, reads requests within their limits, runs
// the handler on the worker pool (where blocking store calls are allowed), and writes
// the answers. Beast and Asio stay inside server.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/http_types.hpp"

namespace henge::server {

struct ServerOptions {
  std::string listen = "0.0.0.0:8080";  ///< host:port; port 0 picks a free one
  unsigned io_threads = 0;              ///< 0 = one per core
  unsigned worker_threads = 4;          ///< where handlers (and store calls) run
  std::size_t body_limit = 1 << 20;     ///< larger bodies get 413
  std::size_t header_limit = 16 << 10;  ///< larger headers get 431
  std::size_t target_limit = 8 << 10;   ///< longer request targets get 414
  /// To read a header: from its first byte, or from the accept for a connection's first
  /// request (a client that connects and sends nothing holds a connection no longer).
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};   ///< to read a body once the header is in (then 408)
  std::chrono::milliseconds idle_timeout{60000};   ///< between requests on a keep-alive connection
  std::size_t max_connections = 0;                 ///< 0 = the open-file limit less a reserve for the store and logs
  std::chrono::milliseconds drain_timeout{10000};  ///< how long stop() waits for requests and streams
  std::chrono::milliseconds accept_grace{1000};    ///< how long stop() still accepts connections
  /// PEM certificate chain and private key: when both are set, every connection is TLS
  /// (1.2 or later). SIGHUP reads them again; open connections keep what they had.
  std::string tls_cert;
  std::string tls_key;
  /// Paths whose requests run on a thread of their own rather than the worker pool,
  /// so that a pool busy with long writes cannot delay them: the probes an
  /// orchestrator restarts henged by, and the metrics that show why it is busy.
  std::vector<std::string> probe_paths{"/healthz", "/readyz", "/metrics"};
};

/// True when `address` ("host:port" or "[v6]:port", as Server::bind() gives it) is on
/// loopback: only there may plain HTTP carry tokens without a warning.
bool is_loopback_address(std::string_view address);

/// Runs on a worker thread; must not throw (what escapes becomes a 500).
using Handler = std::function<Response(Request&&)>;

class Server final {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads the TLS certificate (if any) and binds the listening socket. Returns the
  /// bound address ("127.0.0.1:41234").
  core::Result<std::string> bind();
  struct Stats {
    std::size_t connections = 0;  ///< open, streams included
    std::size_t streams = 0;      ///< open event streams
    std::size_t in_flight = 0;    ///< requests being handled
  };
  /// Counts right now. Any thread.
  [[nodiscard]] Stats stats() const;

  /// Serves until SIGINT/SIGTERM or stop(), then drains; returns when every thread
  /// has finished. SIGHUP reads the TLS certificate and key again (on failure the old
  /// ones stay); open connections keep what they had. `on_signal` runs first when a signal arrives (it should start
  /// closing streams over the drain period).
  void run(std::function<void()> on_signal = {});
  /// Accepts for `accept_grace`, then stops accepting, waits for in-flight requests
  /// and open streams to end (at most the drain period and a margin), then stops.
  /// Any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace henge::server
