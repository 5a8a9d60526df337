#include "client/http_client.hpp"

#include <openssl/ssl.h>

#include <strings.h>
#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>

namespace henge::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using core::Errc;
using core::make_error;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;  // the largest answer request() keeps
constexpr std::size_t kMaxErrorBodyBytes = 1024 * 1024;  // the most of a failed stream's answer kept

// One call: its own event loop, so calls nest, and a way for cancel() to end it.
struct Call {
  asio::io_context ioc{1};
  std::function<void()> close;  // set while a connection or a lookup is open
  bool cancelled = false;       // touched only on ioc's thread
};

// What one exchange is to do: the request, its time limits, where the body goes.
struct Plan {
  const HttpRequest* request = nullptr;
  std::chrono::milliseconds connect_timeout{};
  std::chrono::milliseconds idle_timeout{};
  std::optional<Clock::time_point> deadline;  // request(): the whole exchange's limit
  bool streaming = false;
  const std::function<void(const HttpResponse&)>* on_head = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  const std::function<bool()>* on_tick = nullptr;
};

// What watches a held stream, on the call's own event loop: the periodic work
// (Plan::on_tick) and the silence limit. The silence is measured here rather than by
// the socket's timer, because time the client spends in its own handlers (a command
// run for a config) is not the server's silence, and a pending read's timer cannot be
// pushed back.
struct Ticker {
  explicit Ticker(asio::io_context& ioc) : timer(ioc), last_heard(Clock::now()) {}
  asio::steady_timer timer;
  Clock::time_point last_heard;  // the last byte, or the end of the client's last handler
  bool done = false;             // the exchange is over: do nothing more
  bool stopped = false;          // on_tick asked to stop
  bool idle = false;             // the silence limit passed
};

asio::awaitable<void> tick_loop(std::shared_ptr<Ticker> t, const std::function<bool()>* on_tick,
                                std::chrono::milliseconds idle_timeout, std::function<void()> close) {
  for (;;) {
    t->timer.expires_after(std::min<Clock::duration>(HttpClient::kTick, idle_timeout));
    auto [ec] = co_await t->timer.async_wait(kNoThrow);
    if (ec || t->done) co_return;
    if (on_tick != nullptr && *on_tick) {
      const auto before = Clock::now();
      bool go_on = false;
      try {
        go_on = (*on_tick)();
      } catch (...) {
        go_on = false;  // detached: an escaping exception would vanish and the ticks with it
      }
      if (t->done) co_return;
      if (!go_on) {
        t->stopped = true;
        close();  // ends the pending read, which then reports the stop
        co_return;
      }
      // The time the work took is not the server's silence; the silence before it is.
      t->last_heard = std::min(t->last_heard + (Clock::now() - before), Clock::now());
    }
    if (Clock::now() - t->last_heard > idle_timeout) {
      t->idle = true;
      close();
      co_return;
    }
  }
}

using Outcome = core::Result<StreamOutcome>;

core::Error transport_error(const Call& call, std::string_view what, const beast::error_code& ec) {
  if (call.cancelled) return make_error(Errc::unavailable, "cancelled");
  if (ec == beast::error::timeout) return make_error(Errc::unavailable, std::string(what) + ": timed out");
  return make_error(Errc::unavailable, std::string(what) + ": " + ec.message());
}

Clock::time_point next_expiry(const Plan& plan, std::chrono::milliseconds step) {
  const auto t = Clock::now() + step;
  return plan.deadline ? std::min(t, *plan.deadline) : t;
}

http::request<http::string_body> build_request(const Url& server, const HttpRequest& in) {
  http::request<http::string_body> req;
  req.method_string(in.method);
  req.target(server.target(in.path));
  req.version(11);
  req.set(http::field::host, server.host_header());
  req.set(http::field::user_agent, "henge/0.1");
  for (const auto& h : in.headers) req.set(h.name, h.value);
  if (!in.body.empty() || in.method == "POST" || in.method == "PUT" || in.method == "PATCH") {
    req.body() = in.body;
    req.prepare_payload();
  }
  return req;
}

// Sends the request and reads the answer; the connection is open.
template <class Stream>
asio::awaitable<Outcome> exchange(Stream& stream, Call& call, const Url& server, const Plan& plan) {
  auto& socket = beast::get_lowest_layer(stream);
  auto req = build_request(server, *plan.request);
  socket.expires_at(next_expiry(plan, plan.idle_timeout));
  if (auto [ec, n] = co_await http::async_write(stream, req, kNoThrow); ec) {
    co_return transport_error(call, "sending the request", ec);
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(boost::none);  // bounded below, by what each sink keeps
  socket.expires_at(next_expiry(plan, plan.idle_timeout));
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow); ec) {
    co_return transport_error(call, "reading the answer", ec);
  }
  StreamOutcome outcome;
  outcome.head.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    outcome.head.headers.push_back(Header{std::string(field.name_string()), std::string(field.value())});
  }
  const bool to_handler = plan.streaming && outcome.head.status / 100 == 2;
  if (to_handler && *plan.on_head) (*plan.on_head)(outcome.head);
  std::shared_ptr<Ticker> ticker;
  if (to_handler) {
    ticker = std::make_shared<Ticker>(call.ioc);
    asio::co_spawn(call.ioc, tick_loop(ticker, plan.on_tick, plan.idle_timeout, [&socket] { socket.close(); }),
                   asio::detached);
  }
  struct EndTicks {
    std::shared_ptr<Ticker>& t;
    ~EndTicks() {
      if (!t) return;
      t->done = true;
      t->timer.cancel();
    }
  } end_ticks{ticker};
  const std::size_t keep = plan.streaming ? kMaxErrorBodyBytes : kMaxBodyBytes;

  std::array<char, 16 * 1024> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    if (ticker) {
      socket.expires_never();  // the ticker keeps the silence limit
    } else {
      socket.expires_at(next_expiry(plan, plan.idle_timeout));
    }
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kNoThrow);
    if (ec == http::error::need_buffer) ec = {};
    const std::string_view got(chunk.data(), chunk.size() - parser.get().body().size);
    if (!got.empty()) {
      if (to_handler) {
        if (!(*plan.on_data)(got)) {
          outcome.end = StreamEnd::stopped;
          co_return outcome;
        }
        ticker->last_heard = Clock::now();  // after the handler: its time is not silence
      } else if (outcome.head.body.size() + got.size() > keep) {
        co_return make_error(Errc::too_large, "the server's answer is over " + std::to_string(keep) + " bytes");
      } else {
        outcome.head.body.append(got);
      }
    }
    if (!ec) continue;
    if (ticker && ticker->stopped) {
      outcome.end = StreamEnd::stopped;
    } else if (call.cancelled) {
      outcome.end = StreamEnd::cancelled;
    } else if (ticker && ticker->idle) {
      outcome.end = StreamEnd::idle_timeout;
    } else if (to_handler) {
      outcome.end = StreamEnd::closed;  // a stream ends by the connection ending, cleanly or not
    } else {
      co_return transport_error(call, "reading the answer", ec);
    }
    co_return outcome;
  }
  outcome.end = StreamEnd::closed;
  co_return outcome;
}

asio::awaitable<core::Result<tcp::resolver::results_type>> resolve(Call& call, const Url& server) {
  tcp::resolver resolver(call.ioc);
  call.close = [&resolver] { resolver.cancel(); };
  auto [ec, results] = co_await resolver.async_resolve(server.host, server.port, kNoThrow);
  call.close = nullptr;
  if (ec) co_return transport_error(call, "looking up " + server.host, ec);
  co_return results;
}

// Clears Call::close when the connection it closes goes away, on every way out: a
// cancel() posted while connecting must not reach a stream that no longer exists.
struct ForgetClose {
  Call& call;
  ~ForgetClose() { call.close = nullptr; }
};

asio::awaitable<Outcome> run_plain(Call& call, const Url& server, const Plan& plan) {
  auto endpoints = co_await resolve(call, server);
  if (!endpoints) co_return std::move(endpoints).error();
  beast::tcp_stream stream(call.ioc);
  call.close = [&stream] { stream.close(); };
  const ForgetClose forget{call};  // after the stream: gone before it
  stream.expires_at(next_expiry(plan, plan.connect_timeout));
  if (auto [ec, ep] = co_await stream.async_connect(*endpoints, kNoThrow); ec) {
    co_return transport_error(call, "connecting to " + server.host_header(), ec);
  }
  co_return co_await exchange(stream, call, server, plan);
}

asio::awaitable<Outcome> run_tls(Call& call, asio::ssl::context& tls, const Url& server, const Plan& plan) {
  auto endpoints = co_await resolve(call, server);
  if (!endpoints) co_return std::move(endpoints).error();
  beast::ssl_stream<beast::tcp_stream> stream(call.ioc, tls);
  call.close = [&stream] { beast::get_lowest_layer(stream).close(); };
  const ForgetClose forget{call};  // after the stream: gone before it
  auto& socket = beast::get_lowest_layer(stream);
  socket.expires_at(next_expiry(plan, plan.connect_timeout));
  if (auto [ec, ep] = co_await socket.async_connect(*endpoints, kNoThrow); ec) {
    co_return transport_error(call, "connecting to " + server.host_header(), ec);
  }
  beast::error_code addr_ec;
  asio::ip::make_address(server.host, addr_ec);
  if (addr_ec && SSL_set_tlsext_host_name(stream.native_handle(), server.host.c_str()) != 1) {
    co_return make_error(Errc::unavailable, "TLS: cannot set the server name");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(server.host));
  socket.expires_at(next_expiry(plan, plan.connect_timeout));
  if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow); ec) {
    co_return transport_error(call, "TLS handshake with " + server.host_header(), ec);
  }
  co_return co_await exchange(stream, call, server, plan);
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) return h.value;
  }
  return {};
}

struct HttpClient::Impl {
  Url server;
  TlsOptions tls_options;
  std::unique_ptr<asio::ssl::context> tls;  // made at the first https call
  std::mutex mu;
  std::vector<Call*> active;
  bool cancelled = false;

  core::Status ensure_tls() {
    if (tls) return {};
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    beast::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                     ec);
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    if (tls_options.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) return make_error(Errc::unavailable, "TLS: cannot load the system's CA store: " + ec.message());
    } else {
      ctx->load_verify_file(tls_options.ca_file, ec);
      if (ec) {
        return make_error(Errc::invalid, "TLS: cannot load CA file " + tls_options.ca_file + ": " + ec.message());
      }
    }
    tls = std::move(ctx);
    return {};
  }

  // Runs the call's exchange and stores its outcome (co_spawn wants results it can
  // default-construct; a Result has no empty state).
  asio::awaitable<void> deliver(Call& call, const Plan& plan, std::optional<Outcome>& out) {
    // Two statements, not a conditional expression: g++ 12 evaluates both arms of a
    // ?: whose arms co_await.
    if (server.tls()) {
      out.emplace(co_await run_tls(call, *tls, server, plan));
    } else {
      out.emplace(co_await run_plain(call, server, plan));
    }
  }

  Outcome run(const Plan& plan) {
    if (server.tls()) {
      std::lock_guard lock(mu);
      if (auto st = ensure_tls(); !st) return std::move(st).error();
    }
    Call call;
    {
      std::lock_guard lock(mu);
      if (cancelled) return make_error(Errc::unavailable, "cancelled");
      active.push_back(&call);
    }
    std::optional<Outcome> result;
    asio::co_spawn(call.ioc, deliver(call, plan, result), [&result](const std::exception_ptr& error) {
      if (error) result.emplace(make_error(Errc::internal, "HTTP client failed"));
    });
    call.ioc.run();
    {
      std::lock_guard lock(mu);
      active.erase(std::find(active.begin(), active.end(), &call));
    }
    if (!result) return make_error(Errc::internal, "HTTP client stopped without an answer");
    return std::move(*result);
  }
};

HttpClient::HttpClient(Url server, TlsOptions tls) : impl_(std::make_unique<Impl>()) {
  impl_->server = std::move(server);
  impl_->tls_options = std::move(tls);
}

HttpClient::~HttpClient() = default;

const Url& HttpClient::server() const {
  return impl_->server;
}

core::Result<HttpResponse> HttpClient::request(const HttpRequest& request, std::chrono::milliseconds timeout) {
  Plan plan;
  plan.request = &request;
  plan.connect_timeout = timeout;
  plan.idle_timeout = timeout;
  plan.deadline = Clock::now() + timeout;
  auto outcome = impl_->run(plan);
  if (!outcome) return std::move(outcome).error();
  return std::move(outcome->head);
}

core::Result<StreamOutcome> HttpClient::stream(const HttpRequest& request, std::chrono::milliseconds connect_timeout,
                                               std::chrono::milliseconds idle_timeout,
                                               const std::function<void(const HttpResponse&)>& on_head,
                                               const std::function<bool(std::string_view)>& on_data,
                                               const std::function<bool()>& on_tick) {
  Plan plan;
  plan.request = &request;
  plan.connect_timeout = connect_timeout;
  plan.idle_timeout = idle_timeout;
  plan.streaming = true;
  plan.on_head = &on_head;
  plan.on_data = &on_data;
  plan.on_tick = &on_tick;
  return impl_->run(plan);
}

void HttpClient::cancel() {
  std::lock_guard lock(impl_->mu);
  impl_->cancelled = true;
  for (Call* call : impl_->active) {
    asio::post(call->ioc, [call] {
      call->cancelled = true;
      if (call->close) call->close();
    });
  }
}

}  // namespace henge::client
