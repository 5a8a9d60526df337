// An HTTP request, as bytes from the network, through what henged does with it: Beast's
// parser with the server's limits, then routing, authentication, limits and every
// handler, on a fresh memory store with an admin token and a device whose tokens the
// seed corpus carries (so the fuzzer gets past authentication). Nothing may crash, leak,
// or answer outside HTTP's status range; every error answer is problem+json.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/app.hpp"
#include "core/crypto.hpp"
#include "push/fleet_events.hpp"
#include "push/hub.hpp"
#include "push/presence.hpp"
#include "server/beast_request.hpp"
#include "store/memory/memory_store.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
using namespace henge;

namespace {

constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789";
constexpr std::string_view kDeviceToken = "hdt_fuzz-device-token-0123456789";

core::TimeMs fixed_now() {
  return 1795716702123;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(64 << 10);
  parser.eager(true);
  beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;

  auto store = store::make_memory_store();
  if (!api::ensure_bootstrap_token(*store, std::string(kAdminToken))) std::abort();
  push::Presence presence(*store, fixed_now);
  push::Hub hub(std::chrono::milliseconds(2000), &presence);
  push::FleetEvents fleet(16, 16);
  store->set_change_listener([&hub](const store::ChangeEvent& e) { hub.publish(e); });
  api::ApiOptions options;
  options.limits = {};  // a fuzzer is one client in a hurry
  options.limits.per_operator = {};
  options.limits.per_device = {};
  options.limits.stream_connects = {};
  api::ApiMetrics metrics;
  api::App app(*store, hub, fleet, options, fixed_now, metrics);

  // A device the corpus can speak for: registered through the API, then given a known
  // token.
  {
    server::Request add;
    add.method = "POST";
    add.path = add.target = "/v1/devices";
    add.headers = {{"authorization", "Bearer " + std::string(kAdminToken)}, {"content-type", "application/json"}};
    add.body = R"({"id":"pi-1","config":{"led":{"on":true}}})";
    if (app.handle(std::move(add)).status != 201) std::abort();
    const auto set = store->write([](store::WriteTx& tx) -> core::Status {
      auto d = tx.device("pi-1");
      d->token_hash = core::sha256_hex(kDeviceToken);
      tx.update_device(*d);
      return {};
    });
    if (!set) std::abort();
  }

  server::Response resp = app.handle(server::to_request(parser.release(), "127.0.0.1:40000"));
  if (resp.status < 100 || resp.status > 599) std::abort();
  if (resp.status >= 400 && resp.content_type != "application/problem+json") std::abort();
  if (resp.stream && resp.stream->on_close) resp.stream->on_close();  // as the server does when it ends
  store->set_change_listener(nullptr);
  return 0;
}
