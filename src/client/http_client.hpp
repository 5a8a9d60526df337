#pragma once
// A small blocking HTTP/1.1 client over plain TCP or TLS, for the agent and the CLI.
// Each call opens its own connection and runs its own event loop, so a call may be
// made from inside another call's stream handler. No Asio or Beast in this header:
// they are compiled in http_client.cpp alone.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/url.hpp"
#include "core/result.hpp"

namespace henge::client {

struct Header {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";
  std::string path;  ///< under the server URL's base path, with any query string
  std::vector<Header> headers;
  std::string body;  ///< sent with Content-Length when the method has a body
};

struct HttpResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  /// The first header of that name (case-insensitive), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct TlsOptions {
  std::string ca_file;  ///< PEM bundle to trust instead of the system's store; "" = system
};

/// How a stream ended when the server answered 2xx.
enum class StreamEnd {
  closed,        ///< the server ended the body or closed the connection
  idle_timeout,  ///< nothing arrived for the idle timeout
  stopped,       ///< the data handler asked to stop
  cancelled,     ///< cancel() was called
};

struct StreamOutcome {
  HttpResponse head;  ///< status and headers; for a non-2xx answer, its body too
  StreamEnd end = StreamEnd::closed;
};

class HttpClient final {
 public:
  HttpClient(Url server, TlsOptions tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// One request and its whole answer, whatever the status. Errors are transport
  /// failures only (`unavailable`: refused, reset, timed out, TLS failed, cancelled).
  core::Result<HttpResponse> request(const HttpRequest& request, std::chrono::milliseconds timeout);

  /// A request whose 2xx body is handed to `on_data` piece by piece as it arrives.
  /// `on_head` runs once the head of a 2xx answer is in; `on_data` returns false to
  /// stop. `idle_timeout` bounds the silence between two pieces (time spent in the
  /// handlers does not count as silence). `on_tick`, when
  /// given, runs every `kTick` while the body streams (on the same thread, between
  /// pieces), for work that is due whether or not the server sends anything; it too
  /// returns false to stop.
  core::Result<StreamOutcome> stream(const HttpRequest& request, std::chrono::milliseconds connect_timeout,
                                     std::chrono::milliseconds idle_timeout,
                                     const std::function<void(const HttpResponse&)>& on_head,
                                     const std::function<bool(std::string_view)>& on_data,
                                     const std::function<bool()>& on_tick = {});
  static constexpr std::chrono::milliseconds kTick{100};

  /// Ends every call in progress and refuses new ones. Safe from any thread.
  void cancel();

  [[nodiscard]] const Url& server() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace henge::client
