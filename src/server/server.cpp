#include "server/server.hpp"

#include <sys/resource.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "core/crypto.hpp"
#include "log/log.hpp"
#include "server/beast_request.hpp"
#include "server/framing.hpp"
#include "server/plain_streams.hpp"
#include "server/problem.hpp"
#include "server/stream_source.hpp"

namespace henge::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using namespace std::chrono_literals;

namespace {

constexpr auto kWriteTimeout = 30s;
constexpr auto kDrainMargin = 2s;
constexpr auto kRetryAfterFdExhaustion = 100ms;
constexpr auto kTlsShutdownTimeout = 1s;

// A TLS 1.2+ server context with `cert` (a PEM chain) and its `key`.
core::Result<std::shared_ptr<ssl::context>> load_tls(const std::string& cert, const std::string& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (!ec) ctx->use_certificate_chain_file(cert, ec);
  if (ec) return core::make_error(core::Errc::invalid, "cannot read the TLS certificate " + cert + ": " + ec.message());
  ctx->use_private_key_file(key, ssl::context::pem, ec);
  const bool mismatch = ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) {
    return core::make_error(core::Errc::invalid, "cannot read the TLS key " + key + ": " + ec.message());
  }
  if (mismatch || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return core::make_error(core::Errc::invalid, "the TLS key " + key + " does not match the certificate " + cert);
  }
  return ctx;
}

beast::tcp_stream& lowest(beast::tcp_stream& s) {
  return s;
}
beast::tcp_stream& lowest(TlsStream& s) {
  return beast::get_lowest_layer(s);
}

core::Result<tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return core::make_error(core::Errc::invalid, "--listen must be host:port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return core::make_error(core::Errc::invalid, "--listen has a bad port: " + listen);
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return core::make_error(core::Errc::invalid, "--listen has a bad address (use an IP): " + listen);
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

std::string to_string(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(ep.port());
}

// `head`: the answer to a HEAD request, which has the header GET's would have (its
// Content-Length included) and no body.
http::response<http::string_body> to_beast(Response&& in, unsigned version, bool keep_alive, bool head = false) {
  http::response<http::string_body> res{static_cast<http::status>(in.status), version};
  res.set(http::field::server, "henge");
  if (!in.content_type.empty()) res.set(http::field::content_type, in.content_type);
  for (auto& [k, v] : in.headers) res.set(k, v);
  res.body() = std::move(in.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (head) res.body().clear();
  return res;
}

HeaderFields fields_of(const http::request_header<>& header) {
  HeaderFields out;
  for (const auto& field : header) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

// True while `parser` has not read a whole request line: a header over the limit is
// then an over-long target (414), not too many header fields (431).
bool in_request_line(const http::request_parser<http::string_body>& parser) {
  return parser.get().target().empty();
}

// A parse error is the client's fault and gets a 400; a closed or timed-out
// connection gets nothing.
bool is_malformed(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// True when the peer has closed (or reset) the connection or sent something; a
// non-blocking read that would block means it is still there and silent.
bool peer_closed(tcp::socket& socket) {
  std::array<char, 16> probe{};
  boost::system::error_code mode_ec;
  socket.non_blocking(true, mode_ec);
  boost::system::error_code ec;
  socket.receive(asio::buffer(probe), 0, ec);
  socket.non_blocking(false, mode_ec);
  return ec != asio::error::would_block && ec != asio::error::try_again;
}

std::size_t fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  return static_cast<std::size_t>(rl.rlim_cur);
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, Handler h)
      : opt(std::move(o)),
        handler(std::move(h)),
        io_threads(opt.io_threads != 0 ? opt.io_threads : std::max(1u, std::thread::hardware_concurrency())),
        ioc(static_cast<int>(io_threads)),
        workers(opt.worker_threads),
        probes(1),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM) {}

  ServerOptions opt;
  Handler handler;
  unsigned io_threads;
  asio::io_context ioc;
  asio::thread_pool workers;
  // Health probes have a thread of their own: writes that keep every worker busy (a
  // large config's validation) must not keep /healthz from answering, or an
  // orchestrator restarts a henged that is only working.
  asio::thread_pool probes;
  PlainStreams plain_streams{ioc, workers};
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> open_streams{0};
  std::size_t max_connections = 0;
  std::array<std::atomic<std::int64_t>, 2> last_limit_log{};  // [refused], by second

  // Says, at most once a second each, that connections are near or at the limit: the
  // usual cause is the process's open-file limit, which only the host can raise.
  void log_limit(bool refused, std::size_t open) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count() +
        1;
    auto& slot = last_limit_log[refused ? 1 : 0];
    auto last = slot.load();
    if (now == last || !slot.compare_exchange_strong(last, now)) return;
    const std::initializer_list<log::Field> fields = {
        {"open_connections", open}, {"max_connections", max_connections}, {"fd_limit", fd_limit()}};
    if (refused) {
      log::error("connection limit reached: closing new connections", fields);
    } else {
      log::warn("connections above 90% of the limit", fields);
    }
  }
  std::atomic<bool> stopping{false};

  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;  ///< null: plain HTTP
  asio::signal_set reload_signals{ioc, SIGHUP};

  std::shared_ptr<ssl::context> current_tls() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }

  core::Status reload_tls() {
    if (opt.tls_cert.empty()) return core::make_error(core::Errc::invalid, "no TLS certificate configured");
    auto loaded = load_tls(opt.tls_cert, opt.tls_key);
    if (!loaded) return std::move(loaded).error();
    std::lock_guard lock(tls_mutex);
    tls = std::move(loaded).value();
    return {};
  }

  void await_reload_signal() {
    reload_signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (opt.tls_cert.empty()) {
        log::info("SIGHUP: nothing to reload (no TLS certificate configured)");
      } else if (auto reloaded = reload_tls(); reloaded) {
        log::info("TLS certificate reloaded", {{"cert", opt.tls_cert}});
      } else {
        log::error("TLS certificate not reloaded; keeping the one in use", {{"error", reloaded.error().message}});
      }
      await_reload_signal();
    });
  }

  Response safe_handle(Request&& req) noexcept {
    try {
      return handler(std::move(req));
    } catch (const std::exception& e) {
      log::error("handler threw", {{"error", e.what()}});
    } catch (...) {
      log::error("handler threw");
    }
    return problem(core::make_error(core::Errc::internal, "internal error"), "");
  }

  bool is_probe(const Request& req) const {
    return std::find(opt.probe_paths.begin(), opt.probe_paths.end(), req.path) != opt.probe_paths.end();
  }

  // Runs the handler on the worker pool (a probe on its own) and resumes the caller on
  // its own executor.
  template <class Token>
  auto async_handle(Request req, Token&& token) {
    return asio::async_initiate<Token, void(Response)>(
        [this](auto completion, Request r) {
          auto ex = asio::get_associated_executor(completion, ioc.get_executor());
          auto guard = asio::make_work_guard(ex);
          auto& pool = is_probe(r) ? probes : workers;
          asio::post(pool,
                     [this, r = std::move(r), completion = std::move(completion), guard = std::move(guard)]() mutable {
                       Response resp = safe_handle(std::move(r));
                       auto ex2 = guard.get_executor();
                       asio::post(ex2, [completion = std::move(completion), resp = std::move(resp)]() mutable {
                         std::move(completion)(std::move(resp));
                       });
                       guard.reset();
                     });
        },
        token, std::move(req));
  }

  template <class Stream>
  asio::awaitable<void> write_error(Stream& stream, core::Errc code, std::string message) {
    // The request never reached the handler, so it gets its request id here.
    const std::string request_id = core::random_token(12);
    Response r = problem(core::make_error(code, std::move(message)), request_id);
    r.headers.emplace_back("X-Request-Id", request_id);
    auto res = to_beast(std::move(r), 11, false);
    lowest(stream).expires_after(kWriteTimeout);
    // NOLINTNEXTLINE(bugprone-use-after-move): clang-tidy misreads the coroutine's frame; `message` is not used
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  }

  // Serves a text/event-stream over TLS until its source closes it, the client goes away,
  // or a write stalls for three keepalive periods (a client that stopped reading).
  // Plain-HTTP streams are served by the pool instead (plain_streams.hpp).
  template <class Stream>
  asio::awaitable<void> serve_stream(Stream& stream, StreamBody& body) {
    static constexpr std::string_view kHeader =
        "HTTP/1.1 200 OK\r\nServer: henge\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
    static const auto kKeepalive = std::make_shared<const std::string>(": keepalive\n\n");
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<asio::steady_timer>(ex);
    body.source->set_notify([wake = std::weak_ptr(wake), ex] {
      asio::post(ex, [wake] {
        if (auto t = wake.lock()) t->cancel();
      });
    });
    const auto write_timeout = std::max<std::chrono::steady_clock::duration>(body.keepalive * 3, 5s);
    lowest(stream).expires_after(write_timeout);
    auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(kHeader), asio::as_tuple(asio::use_awaitable));
    bool alive = !hec;
    while (alive) {
      auto batch = body.source->take();
      for (const auto& frame : batch.frames) {
        lowest(stream).expires_after(write_timeout);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(*frame), asio::as_tuple(asio::use_awaitable));
        if (ec) {
          alive = false;
          break;
        }
      }
      if (alive && batch.due != std::chrono::steady_clock::time_point{} && body.on_written) {
        body.on_written(std::chrono::steady_clock::now() - batch.due);
      }
      if (!alive || batch.closed) break;
      if (body.source->ready()) continue;
      // Nothing to write: wait for a frame or the keepalive period. The check above
      // and this wait start in one turn of the strand, so a notify's cancel, posted
      // to the same strand, cannot slip in between and be lost.
      wake->expires_after(body.keepalive);
      lowest(stream).expires_never();
      auto which = co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
      // A stream's client sends nothing, so anything readable is its close (or junk
      // it may not send). Checked without waiting on every wake, so a vanished client
      // is found within a keepalive period at no memory cost per idle stream.
      if (peer_closed(lowest(stream).socket())) break;
      const auto [ec] = which;
      if (!ec && !body.source->ready()) {
        lowest(stream).expires_after(write_timeout);
        auto [kec, kn] =
            co_await asio::async_write(stream, asio::buffer(*kKeepalive), asio::as_tuple(asio::use_awaitable));
        alive = !kec;
      }
    }
    body.source->set_notify(nullptr);
    if (body.on_close) asio::post(workers, std::move(body.on_close));
  }

  // Reads one request within its limits. nullopt ends the connection: closed, timed
  // out, or malformed (which has been answered).
  template <class Stream>
  asio::awaitable<std::optional<http::request<http::string_body>>> read_request(Stream& stream,
                                                                                beast::flat_buffer& buffer,
                                                                                bool first) {
    std::optional<http::request<http::string_body>> none;
    if (buffer.size() == 0) {
      // Idle between requests: the keep-alive timeout applies until a byte arrives.
      lowest(stream).expires_after(first ? opt.header_timeout : opt.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return none;
      buffer.commit(n);
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    const auto too_large = "request body over the limit of " + std::to_string(opt.body_limit) + " bytes";
    lowest(stream).expires_after(opt.header_timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (hec == http::error::header_limit) {
      if (in_request_line(parser)) {
        co_await write_error(stream, core::Errc::uri_too_long, "the request target is too long");
      } else {
        co_await write_error(stream, core::Errc::header_too_large, "request header too large");
      }
      co_return none;
    }
    if (hec == http::error::body_limit) {  // a Content-Length over the limit
      co_await write_error(stream, core::Errc::too_large, too_large);
      co_return none;
    }
    if (hec) {
      if (is_malformed(hec))
        co_await write_error(stream, core::Errc::invalid, "malformed HTTP request: " + hec.message());
      co_return none;
    }
    if (auto refused =
            framing_error(parser.get().version(), parser.get().target(), fields_of(parser.get()), opt.target_limit)) {
      co_await write_error(stream, refused->code, std::move(refused->message));
      co_return none;
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      lowest(stream).expires_after(kWriteTimeout);
      auto [cec, cn] = co_await http::async_write(stream, cont, asio::as_tuple(asio::use_awaitable));
      if (cec) co_return none;
    }
    // The body's deadline cancels the read rather than close the socket (as the
    // stream's own expiry would), so that the client can still be told 408.
    // The timer's handler runs on this coroutine's strand; the shared state tells it
    // whether the read (and so this frame) is still there.
    enum class Body { reading, timed_out, read };
    lowest(stream).expires_never();
    asio::steady_timer deadline(co_await asio::this_coro::executor, opt.body_timeout);
    auto body_state = std::make_shared<Body>(Body::reading);
    deadline.async_wait([&stream, body_state](const boost::system::error_code& ec) {
      if (ec || *body_state != Body::reading) return;
      *body_state = Body::timed_out;
      lowest(stream).cancel();
    });
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (*body_state == Body::reading) *body_state = Body::read;
    deadline.cancel();
    if (*body_state == Body::timed_out) {
      co_await write_error(
          stream, core::Errc::request_timeout,
          "the request body did not arrive within " + std::to_string(opt.body_timeout.count()) + " ms");
      co_return none;
    }
    if (bec == http::error::body_limit) {
      co_await write_error(stream, core::Errc::too_large, too_large);
      co_return none;
    }
    if (bec) {
      if (is_malformed(bec))
        co_await write_error(stream, core::Errc::invalid, "malformed HTTP request: " + bec.message());
      co_return none;
    }
    co_return parser.release();
  }

  struct Served {
    bool keep_alive = false;
    std::shared_ptr<StreamBody> stream;  ///< set when the request opened an event stream
  };

  // One request and its answer. A coroutine of its own so that its request, response
  // and temporaries are freed when it returns, not kept in the frame of a connection
  // that goes on to hold a stream for days.
  template <class Stream>
  asio::awaitable<Served> serve_request(Stream& stream, beast::flat_buffer& buffer, const std::string& remote,
                                        bool first) {
    auto message = co_await read_request(stream, buffer, first);
    if (!message) co_return Served{};
    const unsigned version = message->version();
    const bool wants_keep_alive = message->keep_alive();
    const bool head = message->method() == http::verb::head;
    lowest(stream).expires_never();  // the handler's time is not the client's fault
    in_flight.fetch_add(1);
    Response resp = co_await async_handle(to_request(std::move(*message), remote), asio::use_awaitable);
    in_flight.fetch_sub(1);
    if (resp.stream) co_return Served{false, std::move(resp.stream)};
    const bool keep_alive = wants_keep_alive && !resp.close && !stopping.load();
    auto res = to_beast(std::move(resp), version, keep_alive, head);
    lowest(stream).expires_after(kWriteTimeout);
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return Served{keep_alive && !ec, nullptr};
  }

  asio::awaitable<void> session(tcp::socket socket) {
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = to_string(ep);
    }
    auto tls = current_tls();
    if (!tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve_connection(stream, std::move(remote));
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    // The connection keeps the context it was accepted with, across certificate reloads.
    TlsStream stream(beast::tcp_stream(std::move(socket)), *tls);
    lowest(stream).expires_after(opt.header_timeout);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (hec) {
      log::debug("TLS handshake failed", {{"remote", remote}, {"error", hec.message()}});
      co_return;
    }
    co_await serve_connection(stream, std::move(remote));
    // close_notify, so that clients can tell a finished stream from a cut one.
    lowest(stream).expires_after(kTlsShutdownTimeout);
    co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  }

  template <class Stream>
  asio::awaitable<void> serve_connection(Stream& stream, std::string remote) {
    beast::flat_buffer buffer;
    bool keep_alive = true;
    bool first = true;
    while (keep_alive && !stopping.load()) {
      auto served = co_await serve_request(stream, buffer, remote, first);
      first = false;
      if (served.stream) {
        // A stream reads nothing more: give back the read buffer first, since a
        // process may hold tens of thousands of streams.
        buffer.clear();
        buffer.shrink_to_fit();
        std::string().swap(remote);
        open_streams.fetch_add(1);
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
          // Plain HTTP: the bare socket goes to the stream pool and this session ends,
          // its frame and the tcp_stream's timers with it. The pool counts it as an
          // open connection until it ends.
          boost::system::error_code ec;
          const int fd = stream.release_socket().release(ec);
          if (!ec) {
            connections.fetch_add(1);
            plain_streams.serve(fd, std::move(served.stream), [this] {
              open_streams.fetch_sub(1);
              connections.fetch_sub(1);
            });
            co_return;
          }
          open_streams.fetch_sub(1);
          co_return;
        } else {
          co_await serve_stream(stream, *served.stream);
          open_streams.fetch_sub(1);
          break;
        }
      }
      keep_alive = served.keep_alive;
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        if (ec == asio::error::no_descriptors) {
          log::error("out of file descriptors: not accepting for a moment",
                     {{"open_connections", connections.load()}, {"fd_limit", fd_limit()}});
        } else {
          log::warn("accept failed", {{"error", ec.message()}});
        }
        asio::steady_timer pause(ioc, kRetryAfterFdExhaustion);
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      const auto open = connections.load();
      if (open >= max_connections) {
        log_limit(true, open);
        continue;  // the socket closes as it goes out of scope
      }
      if (open + 1 >= max_connections * 9 / 10) log_limit(false, open + 1);
      connections.fetch_add(1);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(std::move(socket)), [this](const std::exception_ptr& e) {
        connections.fetch_sub(1);
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            log::error("session ended with an exception", {{"error", ex.what()}});
          }
        }
      });
    }
  }

  // Accepts for a short grace (load balancers may still send a few), then stops
  // accepting and waits until requests and streams are done — streams close as their
  // owner sends goaway over the drain period — or the drain period and a margin pass.
  asio::awaitable<void> drain() {
    asio::steady_timer timer(ioc);
    timer.expires_after(opt.accept_grace);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ignored;
    acceptor.close(ignored);
    const auto deadline = std::chrono::steady_clock::now() + opt.drain_timeout + kDrainMargin;
    while ((in_flight.load() > 0 || open_streams.load() > 0) && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(20ms);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (open_streams.load() > 0) {
      log::warn("drain period over; closing the remaining streams", {{"streams", open_streams.load()}});
    }
    plain_streams.close_all();
    ioc.stop();
  }

  void begin_stop() {
    if (stopping.exchange(true)) return;
    asio::post(ioc, [this] {
      boost::system::error_code ignored;
      signals.cancel(ignored);
      reload_signals.cancel(ignored);
      asio::co_spawn(ioc, drain(), asio::detached);
    });
  }
};

bool is_loopback_address(std::string_view address) {
  auto host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(std::string(host), ec);
  return !ec && ip.is_loopback();
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() {
  impl_->workers.join();
  impl_->probes.join();
}

core::Result<std::string> Server::bind() {
  auto ep = parse_listen(impl_->opt.listen);
  if (!ep) return std::move(ep).error();
  if (impl_->opt.tls_cert.empty() != impl_->opt.tls_key.empty()) {
    return core::make_error(core::Errc::invalid, "TLS needs both a certificate and a key");
  }
  if (!impl_->opt.tls_cert.empty()) HENGE_TRY(impl_->reload_tls());
  boost::system::error_code ec;
  auto& acc = impl_->acceptor;
  acc.open(ep->protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(*ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::make_error(core::Errc::unavailable, "cannot listen on " + impl_->opt.listen + ": " + ec.message());
  return to_string(acc.local_endpoint());
}

void Server::run(std::function<void()> on_signal) {
  auto& impl = *impl_;
  constexpr std::size_t kReservedFds = 256;  // the store, logs, the admin's own connections
  const auto limit = fd_limit();
  impl.max_connections = impl.opt.max_connections != 0 ? impl.opt.max_connections
                         : limit > 2 * kReservedFds    ? limit - kReservedFds
                                                       : limit / 2;
  log::info("serving", {{"io_threads", impl.io_threads},
                        {"worker_threads", impl.opt.worker_threads},
                        {"fd_limit", limit},
                        {"max_connections", impl.max_connections}});
  asio::co_spawn(impl.ioc, impl.accept_loop(), asio::detached);
  impl.await_reload_signal();
  impl.signals.async_wait([this, on_signal = std::move(on_signal)](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (on_signal) on_signal();  // first, so that what the log line announces is already so
    log::info("signal received; draining", {{"signal", sig}});
    impl_->begin_stop();
  });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < impl.io_threads; ++i) threads.emplace_back([&impl] { impl.ioc.run(); });
  impl.ioc.run();
  for (auto& t : threads) t.join();
  impl.workers.join();
  impl.probes.join();
  log::info("stopped");
}

Server::Stats Server::stats() const {
  return {impl_->connections.load(), impl_->open_streams.load(), impl_->in_flight.load()};
}

void Server::stop() {
  impl_->begin_stop();
}

}  // namespace henge::server
