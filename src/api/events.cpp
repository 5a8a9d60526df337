// /v1/events: the fleet's live events as server-sent events, for the UI and scripts.

#include <charconv>

#include "api/routes.hpp"
#include "push/event_queue.hpp"
#include "push/fleet_events.hpp"

namespace henge::api {
namespace {

HandlerResult events(Ctx& ctx) {
  std::optional<std::uint64_t> last;
  if (const auto* h = ctx.req.header("last-event-id"); h != nullptr && !h->empty()) {
    std::uint64_t id = 0;
    auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), id);
    if (ec != std::errc{} || p != h->data() + h->size()) {
      return core::make_error(core::Errc::invalid, "Last-Event-ID must be an event id");
    }
    last = id;
  }
  auto& fleet = ctx.svc.fleet;
  auto body = std::make_shared<server::StreamBody>();
  auto queue = fleet.subscribe(last);
  body->source = queue;
  body->keepalive = ctx.svc.options.keepalive;
  body->on_close = [&fleet, raw = queue.get()] { fleet.unsubscribe(raw); };
  server::Response r;
  r.stream = std::move(body);
  return r;
}

}  // namespace

std::vector<Route> event_routes() {
  return {{"GET", "/v1/events", events, Access::read, kStream}};
}

}  // namespace henge::api
