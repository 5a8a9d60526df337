#include "agent/backoff.hpp"

#include <algorithm>

namespace henge::agent {

Millis Backoff::after_failure() {
  // base * 2^n, saturating at the cap long before the shift could overflow.
  const unsigned n = std::min(failures_, 30u);
  const auto ceiling = std::min<std::int64_t>(policy_.cap.count(), policy_.base.count() << n);
  ++failures_;
  return random_up_to(Millis(ceiling));
}

void Backoff::connection_ended(Millis lasted) {
  if (lasted >= policy_.healthy) failures_ = 0;
}

Millis Backoff::random_up_to(Millis upper) {
  if (upper.count() <= 0) return Millis(0);
  std::uniform_int_distribution<std::int64_t> pick(0, upper.count());
  return Millis(pick(rng_));
}

}  // namespace henge::agent
