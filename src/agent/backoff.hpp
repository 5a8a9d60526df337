#pragma once
// When to try again: exponential backoff with full jitter, as the device protocol
// asks (delay = random(0, min(cap, base * 2^n)), n the consecutive failures, reset
// after a connection stayed healthy long enough).

#include <chrono>
#include <cstdint>
#include <random>

namespace henge::agent {

using Millis = std::chrono::milliseconds;

struct BackoffPolicy {
  Millis base{500};
  Millis cap{60000};
  Millis healthy{30000};  ///< a connection that lasted this long resets the count
};

class Backoff final {
 public:
  Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

  /// The delay after one more failed attempt.
  Millis after_failure();
  /// A connection ended after `lasted`; a healthy one forgives the failures before it.
  void connection_ended(Millis lasted);
  /// Forgets the failures (the thing retried succeeded).
  void reset() { failures_ = 0; }
  /// A uniformly random delay in [0, upper].
  Millis random_up_to(Millis upper);

  [[nodiscard]] unsigned failures() const { return failures_; }
  [[nodiscard]] const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  unsigned failures_ = 0;
};

}  // namespace henge::agent
