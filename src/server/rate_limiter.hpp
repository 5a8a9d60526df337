#pragma once
// Token buckets by key (a source address, a token name, a device id): each key may
// spend `burst` requests at once and earns `per_second` more each second. Thread-safe;
// its memory is bounded (see RateLimiter).

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace henge::server {

struct RatePolicy {
  double per_second = 0;  ///< 0: no limit
  double burst = 0;       ///< at least 1 when limited

  [[nodiscard]] bool limited() const { return per_second > 0; }
};

/// Parses "RATE,BURST" ("5,20"), "RATE" (the burst is then one second's worth, at least
/// 1) or "0" (no limit). nullopt-like false when malformed.
bool parse_rate_policy(std::string_view text, RatePolicy& out);

class RateLimiter final {
 public:
  using Clock = std::chrono::steady_clock;

  /// At most `max_keys` keys are tracked; past that, full buckets are dropped (a full
  /// bucket is the same as none) and, if that is not enough, new keys go untracked
  /// (allowed) until some drop out, so memory stays bounded whatever keys arrive.
  explicit RateLimiter(RatePolicy policy, std::size_t max_keys = 100000);

  /// Spends one request of `key` at `now`: zero when allowed, otherwise how long
  /// until one is available (what Retry-After says).
  Clock::duration take(std::string_view key, Clock::time_point now);

  [[nodiscard]] const RatePolicy& policy() const { return policy_; }
  /// Keys tracked now (for tests and metrics).
  [[nodiscard]] std::size_t size() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;

  double refilled(const Bucket& b, Clock::time_point now) const;
  void drop_full(Shard& shard, Clock::time_point now) const;

  RatePolicy policy_;
  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace henge::server
