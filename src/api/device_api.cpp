// /v1/device/*: what devices call with their own token (docs/protocol.md). The
// token names the device; a device reaches only its own config and state.

#include <boost/json.hpp>
#include <charconv>

#include "api/http_io.hpp"
#include "api/routes.hpp"
#include "core/json_policy.hpp"
#include "push/event_queue.hpp"
#include "push/fleet_events.hpp"
#include "push/frames.hpp"
#include "push/hub.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

constexpr std::size_t kMaxErrorText = 4096;

// Last-Event-ID as a revision; anything else counts as absent, which only means the
// device is sent its current config.
std::optional<core::Revision> last_event_id(const Ctx& ctx) {
  const auto* h = ctx.req.header("last-event-id");
  if (h == nullptr || h->empty()) return std::nullopt;
  core::Revision rev = 0;
  auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), rev);
  if (ec != std::errc{} || p != h->data() + h->size()) return std::nullopt;
  return rev;
}

// Whether henged has the device's answer (applied or rejected) for its desired revision.
bool answered_desired(const core::Device& d) {
  return d.state.applied_revision == d.desired.revision || d.state.rejected_revision == d.desired.revision;
}

// Runs `edit` on the device's state in a write transaction and stores it.
Status update_state(Services& svc, const std::string& id, const std::function<Status(core::Device&)>& edit) {
  return svc.store.write([&](store::WriteTx& tx) -> Status {
    auto d = tx.device(id);
    if (!d) return make_error(Errc::unauthorized, "this device no longer exists");
    HENGE_TRY(edit(*d));
    tx.update_device_state(id, d->state);
    return {};
  });
}

HandlerResult stream(Ctx& ctx) {
  auto& svc = ctx.svc;
  const std::string id = ctx.actor.name;
  // Attach before reading the desired config: a change committed in between is then
  // both read here and pushed by the hub, and the queue keeps one copy of it. The
  // hub records the connection (push::Presence writes it to the store).
  auto queue = svc.hub.attach(id);
  core::Status readable;
  bool answered = false;  // the device has acknowledged its desired revision (applied or rejected)
  auto desired = read_value(ctx, [&](store::ReadTx& tx) -> std::optional<core::Desired> {
    auto d = tx.device(id);
    if (!d) return std::nullopt;
    readable = service::check_readable(*d);
    answered = answered_desired(*d);
    return d->desired;
  });
  if (!desired || !*desired || !readable) {
    svc.hub.detach(id, queue.get());
    if (!desired) return std::move(desired).error();
    if (!readable) return std::move(readable).error();
    return make_error(Errc::unauthorized, "this device no longer exists");
  }
  const auto current = std::move(**desired);
  // The config is sent unless the device already has it and its answer is recorded.
  // A device whose ack was lost resumes with Last-Event-ID = the desired revision yet
  // stays pending; sending the config again lets it ack again (clients run nothing for
  // a config they already applied), so the protocol heals itself (decision 0015).
  const auto last = last_event_id(ctx);
  if (!last || *last != current.revision || !answered) {
    queue->push_config(current.revision, std::make_shared<const std::string>(push::config_frame(current)));
  }
  json::object connected{{"device", id}, {"desired_revision", current.revision}};
  if (last) connected["last_event_id"] = *last;
  svc.fleet.emit("device_connected", std::move(connected));

  auto body = std::make_shared<server::StreamBody>();
  body->source = queue;
  body->keepalive = svc.options.keepalive;
  body->on_written = [&metrics = svc.metrics](std::chrono::steady_clock::duration since_commit) {
    metrics.pushes.add();
    metrics.push_seconds.observe(std::chrono::duration<double>(since_commit).count());
  };
  body->on_close = [&svc, id, raw = queue.get()] {
    // A replaced stream is no longer the device's: only the current one's close
    // means the device went away.
    if (svc.hub.detach(id, raw)) svc.fleet.emit("device_disconnected", json::object{{"device", id}});
  };
  server::Response r;
  r.stream = std::move(body);
  return r;
}

bool etag_matches(const std::string& header, core::Revision rev) {
  const std::string tag = etag(rev);
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == tag) return true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return false;
}

HandlerResult poll_config(Ctx& ctx) {
  core::Desired desired;
  bool answered = false;
  HENGE_TRY(update_state(ctx.svc, ctx.actor.name, [&](core::Device& d) -> Status {
    HENGE_TRY(service::check_readable(d));
    d.state.last_seen = ctx.now;
    desired = d.desired;
    answered = answered_desired(d);
    return {};
  }));
  server::Response r;
  r.headers.emplace_back("ETag", etag(desired.revision));
  r.headers.emplace_back("Cache-Control", "no-cache");
  // As on the stream (decision 0015): a device without a recorded answer gets the
  // document again, and answers it again without applying it.
  if (const auto* inm = ctx.req.header("if-none-match");
      inm != nullptr && answered && etag_matches(*inm, desired.revision)) {
    r.status = 304;
    return r;
  }
  r.content_type = "application/json";
  r.body = push::config_document(desired);
  return r;
}

HandlerResult ack(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  for (const auto& [k, v] : *body) {
    if (k != "revision" && k != "status" && k != "error") {
      return make_error(Errc::invalid, "unknown field '" + std::string(k) + "'");
    }
  }
  const auto* rev = body->if_contains("revision");
  if (rev == nullptr || !(rev->is_uint64() || (rev->is_int64() && rev->get_int64() > 0))) {
    return make_error(Errc::invalid, "revision is required and must be a positive integer");
  }
  const core::Revision revision = rev->to_number<core::Revision>();
  const auto* st = body->if_contains("status");
  if (st == nullptr || !st->is_string() || (st->get_string() != "applied" && st->get_string() != "rejected")) {
    return make_error(Errc::invalid, R"(status must be "applied" or "rejected")");
  }
  const bool applied = st->get_string() == "applied";
  std::string error;
  if (const auto* e = body->if_contains("error"); e != nullptr && !e->is_null()) {
    if (!e->is_string()) return make_error(Errc::invalid, "error must be a string");
    error = std::string(core::utf8_prefix(e->get_string(), kMaxErrorText));
  }
  if (!applied && error.empty()) error = "rejected without a reason";
  const std::string id = ctx.actor.name;
  std::string sync;
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto d = tx.device(id);
    if (!d) return make_error(Errc::unauthorized, "this device no longer exists");
    if (!tx.history_entry(id, revision)) {
      return make_error(Errc::conflict, "revision " + std::to_string(revision) + " was never sent to this device");
    }
    auto& s = d->state;
    s.last_seen = ctx.now;
    if (applied) {
      s.applied_revision = revision;
      s.applied_at = ctx.now;
      s.error.clear();
    } else {
      s.rejected_revision = revision;
      s.error = error;
    }
    tx.update_device_state(id, s);
    sync = core::sync_status(*d);
    return {};
  }));
  json::object event{
      {"device", id}, {"revision", revision}, {"status", applied ? "applied" : "rejected"}, {"sync", sync}};
  if (!applied) event["error"] = error;
  ctx.svc.fleet.emit("ack", std::move(event));
  ctx.svc.metrics.acks.at(applied ? R"(status="applied")" : R"(status="rejected")").add();
  return no_content();
}

HandlerResult report(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  const auto* reported = body->if_contains("reported");
  if (reported == nullptr || !reported->is_object() || body->size() != 1) {
    return make_error(Errc::invalid, "the body must be {\"reported\": {…}}");
  }
  if (json::serialize(*reported).size() > ctx.svc.options.report_limit) {
    return make_error(Errc::too_large,
                      "reported is over the limit of " + std::to_string(ctx.svc.options.report_limit) + " bytes");
  }
  HENGE_TRY(update_state(ctx.svc, ctx.actor.name, [&](core::Device& d) -> Status {
    d.state.reported = *reported;
    d.state.last_seen = ctx.now;
    return {};
  }));
  ctx.svc.fleet.emit("report", json::object{{"device", ctx.actor.name}});
  return no_content();
}

}  // namespace

std::vector<Route> device_api_routes() {
  return {
      {"GET", "/v1/device/stream", stream, Access::device, kStream},
      {"GET", "/v1/device/config", poll_config, Access::device},
      {"POST", "/v1/device/ack", ack, Access::device},
      {"POST", "/v1/device/report", report, Access::device},
  };
}

}  // namespace henge::api
