#include "server/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace henge::server::metrics {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string with(std::string_view labels, std::string_view extra) {
  if (labels.empty()) return std::string(extra);
  return std::string(labels) + "," + std::string(extra);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double seconds) {
  seconds = std::max(0.0, seconds);
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    sample(out, bucket, with(labels, "le=\"" + number(le) + "\""), static_cast<double>(cumulative));
  }
  sample(out, std::string(name) + "_sum", labels, static_cast<double>(sum_nanos_.load()) / 1e9);
  // The count is the +Inf bucket's, so that the two never disagree mid-update.
  sample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(number(value)).append("\n");
}

void render(std::string& out, std::string_view name, std::string_view help, const Family<Counter>& family) {
  header(out, name, "counter", help);
  family.each(
      [&](const std::string& labels, const Counter& c) { sample(out, name, labels, static_cast<double>(c.value())); });
}

void render(std::string& out, std::string_view name, std::string_view help, const Family<Histogram>& family) {
  header(out, name, "histogram", help);
  family.each([&](const std::string& labels, const Histogram& h) { h.render(out, name, labels); });
}

}  // namespace henge::server::metrics
