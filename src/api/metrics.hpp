#pragma once
// What henged counts for /metrics: requests by route, method and status with their
// latency, refusals by limit, acknowledgements by status, pushes and their latency from
// commit to the frame written, and store calls by kind. Thread-safe.

#include <functional>
#include <string>

#include "server/metrics.hpp"

namespace henge::api {

struct ApiMetrics {
  server::metrics::Family<server::metrics::Counter> requests;
  server::metrics::Family<server::metrics::Histogram> request_seconds{server::metrics::latency_buckets()};
  server::metrics::Family<server::metrics::Counter> rate_limited;
  server::metrics::Family<server::metrics::Counter> acks;
  server::metrics::Counter pushes;
  server::metrics::Histogram push_seconds{server::metrics::latency_buckets()};
  server::metrics::Family<server::metrics::Histogram> store_seconds{server::metrics::latency_buckets()};
  /// Appends gauges owned elsewhere (open connections and streams); set before serving.
  std::function<void(std::string&)> gauges;
};

}  // namespace henge::api
