#pragma once
// The idle connections of a SQL store, for its readers (SQLite) or all its transactions
// (PostgreSQL): a transaction takes one, or opens a fresh one when none is idle, and
// gives it back when done; at most `max_idle` wait, the rest are closed. Thread-safe.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace henge::store {

template <class Conn>
class IdlePool final {
 public:
  explicit IdlePool(std::size_t max_idle) : max_idle_(max_idle) {}

  /// An idle connection, or null when none is.
  std::unique_ptr<Conn> take() {
    std::lock_guard lock(mu_);
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }

  /// Keeps `c` for the next taker, or closes it when enough are idle already.
  void give(std::unique_ptr<Conn> c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
  }

 private:
  const std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

}  // namespace henge::store
