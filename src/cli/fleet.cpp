// henge audit | watch | status
#include <boost/json.hpp>
#include <map>
#include <random>
#include <thread>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "client/sse_parser.hpp"
#include "core/json_policy.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;

namespace {

struct FleetFlags {
  std::string actor;
  std::string action;
  std::string target;
  std::size_t limit = 50;
  std::size_t count = 0;  // watch: stop after this many events (0: never)
};

// Follows /v1/events, printing each event, reconnecting with Last-Event-ID when the
// stream ends, until `count` events were printed (or forever).
core::Status watch(Context& ctx, std::size_t count) {
  auto api = ctx.api();
  if (!api.ok()) return std::move(api).error();
  std::string last_id;
  std::size_t printed = 0;
  std::mt19937 rng(std::random_device{}());
  unsigned failures = 0;
  for (;;) {
    client::SseParser parser(16 << 20);
    std::vector<client::SseEvent> events;
    bool done = false;
    auto outcome = (*api)->stream("/v1/events", last_id, [&](std::string_view bytes) {
      parser.feed(bytes, events);
      for (const auto& e : events) {
        if (e.type == "goaway") continue;
        if (e.oversized > 0) {
          *ctx.err << "henge: event " << e.id << " is over 16 MiB; skipped\n";
          last_id = e.id;
          continue;
        }
        last_id = e.id;
        boost::system::error_code ec;
        auto data = core::parse_answer(e.data, ec);
        if (ctx.json()) {
          *ctx.out << json::serialize(
                          json::object{{"id", e.id}, {"type", e.type}, {"data", ec ? json::value(e.data) : data}})
                   << "\n";
        } else {
          *ctx.out << e.type << " " << (ec ? e.data : json::serialize(data)) << "\n";
        }
        ctx.out->flush();
        if (count > 0 && ++printed >= count) {
          done = true;
          return false;
        }
      }
      events.clear();
      failures = 0;
      return true;
    });
    if (done) return {};
    if (!outcome.ok()) {
      // A refused token or a bad request will not get better by retrying; a network
      // failure or a 5xx may.
      if (outcome.error().code != Errc::unavailable) return std::move(outcome).error();
      std::cerr << "henge: " << outcome.error().message << "; retrying\n";
    }
    const auto ceiling = std::min<std::int64_t>(30000, std::int64_t{500} << std::min(failures++, 10u));
    std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng)));
  }
}

}  // namespace

void add_fleet_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<FleetFlags>();

  auto* audit = app.add_subcommand("audit", "List the audit log, newest first");
  audit->add_option("--actor", flags->actor, "Only entries by this token name");
  audit->add_option("--action", flags->action, "Only this action, e.g. config.set");
  audit->add_option("--target", flags->target, "Only this target, e.g. device/pi-1");
  audit->add_option("--limit", flags->limit, "At most this many")->check(CLI::PositiveNumber)->capture_default_str();
  on_run(audit, ctx, [&ctx, flags]() -> core::Status {
    const auto query = query_string({{"actor", flags->actor}, {"action", flags->action}, {"target", flags->target}});
    auto entries = ctx.list_all("/v1/audit" + query, flags->limit);
    if (!entries.ok()) return std::move(entries).error();
    print_list(ctx, *entries, {"SEQ", "AT", "ACTOR", "ACTION", "TARGET", "REVISION"},
               [](const json::value& e) -> std::vector<std::string> {
                 return {field(e, "seq"),    field(e, "at"),     field(e, "actor"),
                         field(e, "action"), field(e, "target"), field(e, "revision")};
               });
    return {};
  });

  auto* watch_cmd = app.add_subcommand("watch", "Follow the fleet's events as they happen (Ctrl-C ends)");
  watch_cmd->add_option("--count", flags->count, "Stop after this many events");
  on_run(watch_cmd, ctx, [&ctx, flags]() -> core::Status { return watch(ctx, flags->count); });

  auto* status = app.add_subcommand("status", "Summarize the fleet: online, in sync, pending, failed");
  on_run(status, ctx, [&ctx]() -> core::Status {
    auto devices = ctx.list_all("/v1/devices", SIZE_MAX);
    if (!devices.ok()) return std::move(devices).error();
    std::map<std::string, std::size_t> by_status{{"in_sync", 0}, {"pending", 0}, {"failed", 0}, {"never_connected", 0}};
    std::size_t online = 0;
    for (const auto& d : *devices) {
      ++by_status[field(d, "status")];
      if (field(d, "connected") == "true") ++online;
    }
    if (ctx.json()) {
      json::object summary{{"devices", devices->size()}, {"online", online}};
      for (const auto& [k, v] : by_status) summary[k] = v;
      *ctx.out << pretty_json(summary) << "\n";
      return {};
    }
    Table table({"DEVICES", "ONLINE", "IN SYNC", "PENDING", "FAILED", "NEVER CONNECTED"});
    table.add({std::to_string(devices->size()), std::to_string(online), std::to_string(by_status["in_sync"]),
               std::to_string(by_status["pending"]), std::to_string(by_status["failed"]),
               std::to_string(by_status["never_connected"])});
    table.print(*ctx.out);
    return {};
  });
}

}  // namespace henge::cli
