#pragma once
// Counters and histograms, rendered in Prometheus' text format (version 0.0.4). Lock-free
// to update once a series exists; a family of series by label values takes a lock only
// to find or make one. Label values here come from bounded sets (routes, statuses).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace henge::server::metrics {

class Counter final {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Observations in seconds, counted into fixed buckets.
class Histogram final {
 public:
  /// Upper bounds in seconds, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  /// Appends the series `name`_bucket, _sum and _count with `labels` ("a=\"b\"" or "").
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, and +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

/// Latency buckets from 100 µs to 10 s.
std::vector<double> latency_buckets();

/// Series of one metric by label values, made on first use.
template <class Series>
class Family final {
 public:
  template <class... Args>
  explicit Family(Args... args) : make_([=] { return std::make_unique<Series>(args...); }) {}

  /// The series for `labels`, rendered as given (`route="/v1/devices",status="200"`).
  Series& at(const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = series_[labels];
    if (!slot) slot = make_();
    return *slot;
  }

  template <class Fn>
  void each(Fn&& fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, series] : series_) fn(labels, *series);
  }

 private:
  std::function<std::unique_ptr<Series>()> make_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Series>> series_;
};

/// A label value with `\`, `"` and newlines escaped.
std::string escape_label(std::string_view value);

/// Writes `# HELP` and `# TYPE` lines.
void header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
void render(std::string& out, std::string_view name, std::string_view help, const Family<Counter>& family);
void render(std::string& out, std::string_view name, std::string_view help, const Family<Histogram>& family);

}  // namespace henge::server::metrics
