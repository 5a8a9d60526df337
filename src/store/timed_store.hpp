#pragma once
// A Store that reports how long each read and write transaction took (queueing for the
// writer included), for metrics. Everything else goes to the store it wraps.

#include <chrono>
#include <functional>
#include <string_view>
#include <utility>

#include "store/store.hpp"

namespace henge::store {

class TimedStore final : public Store {
 public:
  using Observer = std::function<void(std::string_view kind, std::chrono::steady_clock::duration)>;

  TimedStore(Store& inner, Observer observe) : inner_(inner), observe_(std::move(observe)) {}

  core::Status read(const std::function<core::Status(ReadTx&)>& fn) override {
    const auto started = std::chrono::steady_clock::now();
    auto status = inner_.read(fn);
    observe_("read", std::chrono::steady_clock::now() - started);
    return status;
  }
  core::Status write(const std::function<core::Status(WriteTx&)>& fn) override {
    const auto started = std::chrono::steady_clock::now();
    auto status = inner_.write(fn);
    observe_("write", std::chrono::steady_clock::now() - started);
    return status;
  }
  void set_change_listener(std::function<void(ChangeEvent)> listener) override {
    inner_.set_change_listener(std::move(listener));
  }
  void set_connections_lost_listener(std::function<void()> listener) override {
    inner_.set_connections_lost_listener(std::move(listener));
  }

 private:
  Store& inner_;
  Observer observe_;
};

}  // namespace henge::store
