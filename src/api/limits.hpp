#pragma once
// What one caller may take from henged: requests per source address, per operator token
// and per device (token buckets), new device streams per device, and open streams per
// source address. Each replica keeps its own counts.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "server/rate_limiter.hpp"

namespace henge::api {

struct LimitOptions {
  /// Every request, by source address. Off by default: behind a load balancer every
  /// request comes from its address.
  server::RatePolicy per_address{};
  server::RatePolicy per_operator{500, 1000};  ///< by operator token name
  server::RatePolicy per_device{20, 100};      ///< device API requests, by device
  server::RatePolicy stream_connects{1, 5};    ///< new device streams, by device
  std::size_t streams_per_address = 0;         ///< open streams from one address; 0: no cap
};

/// Open streams by source address, capped.
class StreamCounter final {
 public:
  explicit StreamCounter(std::size_t cap) : cap_(cap) {}
  /// Counts one more stream for `address`; false (and nothing counted) at the cap.
  bool acquire(const std::string& address);
  void release(const std::string& address);
  [[nodiscard]] std::size_t open(const std::string& address) const;

 private:
  std::size_t cap_;
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t, std::less<>> open_;
};

struct Limits {
  explicit Limits(const LimitOptions& o)
      : per_address(o.per_address),
        per_operator(o.per_operator),
        per_device(o.per_device),
        stream_connects(o.stream_connects),
        streams(o.streams_per_address) {}

  server::RateLimiter per_address;
  server::RateLimiter per_operator;
  server::RateLimiter per_device;
  server::RateLimiter stream_connects;
  StreamCounter streams;
};

/// The address part of "host:port" or "[v6]:port".
std::string address_of(std::string_view remote);

}  // namespace henge::api
