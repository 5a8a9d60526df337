// /metrics: henged's counters, histograms and gauges in Prometheus' text format, for any
// operator token (give Prometheus a viewer token).

#include "api/metrics.hpp"

#include "api/http_io.hpp"
#include "api/routes.hpp"
#include "core/sync_status.hpp"

namespace henge::api {
namespace {

namespace m = server::metrics;

HandlerResult get_metrics(Ctx& ctx) {
  auto& metrics = ctx.svc.metrics;
  auto counts = read_value(ctx, [](store::ReadTx& tx) { return tx.device_counts_by_status(); });
  if (!counts) return std::move(counts).error();

  std::string out;
  m::render(out, "henge_http_requests_total", "HTTP requests answered, by route, method and status.", metrics.requests);
  m::render(out, "henge_http_request_duration_seconds", "Time from a request's arrival to its answer.",
            metrics.request_seconds);
  m::render(out, "henge_rate_limited_total", "Requests refused with 429, by the limit they were over.",
            metrics.rate_limited);
  m::render(out, "henge_acks_total", "Device acknowledgements, by status.", metrics.acks);
  m::header(out, "henge_pushes_total", "counter", "Config changes written to device streams as they committed.");
  m::sample(out, "henge_pushes_total", "", static_cast<double>(metrics.pushes.value()));
  m::header(out, "henge_push_latency_seconds", "histogram",
            "Time from a config change's commit to its event written to a device's stream.");
  metrics.push_seconds.render(out, "henge_push_latency_seconds", "");
  m::render(out, "henge_store_transaction_duration_seconds", "Store transactions, by kind, waiting included.",
            metrics.store_seconds);
  m::header(out, "henge_devices", "gauge", "Registered devices, by sync status.");
  for (const auto status : core::kSyncStatuses) {
    const auto it = counts->find(std::string(status));
    m::sample(out, "henge_devices", "status=\"" + std::string(status) + "\"",
              it == counts->end() ? 0.0 : static_cast<double>(it->second));
  }
  if (metrics.gauges) metrics.gauges(out);

  server::Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace

std::vector<Route> metrics_routes() {
  return {{"GET", "/metrics", get_metrics, Access::read}};
}

}  // namespace henge::api
