#include "server/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

namespace henge::server {

namespace {

bool parse_number(std::string_view text, double& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out) && out >= 0;
}

}  // namespace

bool parse_rate_policy(std::string_view text, RatePolicy& out) {
  const auto comma = text.find(',');
  RatePolicy p;
  if (!parse_number(text.substr(0, comma), p.per_second)) return false;
  if (comma == std::string_view::npos) {
    p.burst = std::max(1.0, std::ceil(p.per_second));
  } else if (!parse_number(text.substr(comma + 1), p.burst) || p.burst < 1) {
    return false;
  }
  if (p.per_second == 0) p = RatePolicy{};
  out = p;
  return true;
}

RateLimiter::RateLimiter(RatePolicy policy, std::size_t max_keys)
    : policy_(policy), max_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {}

double RateLimiter::refilled(const Bucket& b, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  return std::min(policy_.burst, b.tokens + std::max(0.0, elapsed) * policy_.per_second);
}

void RateLimiter::drop_full(Shard& shard, Clock::time_point now) const {
  std::erase_if(shard.buckets, [&](const auto& kv) { return refilled(kv.second, now) >= policy_.burst; });
}

RateLimiter::Clock::duration RateLimiter::take(std::string_view key, Clock::time_point now) {
  if (!policy_.limited()) return Clock::duration::zero();
  auto& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) drop_full(shard, now);
    if (shard.buckets.size() >= max_per_shard_) return Clock::duration::zero();  // untracked: see the header
    it = shard.buckets.emplace(std::string(key), Bucket{policy_.burst, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = refilled(b, now);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return Clock::duration::zero();
  }
  const double wait = (1 - b.tokens) / policy_.per_second;
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait));
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace henge::server
