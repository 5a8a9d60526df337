#include "api/limits.hpp"

namespace henge::api {

bool StreamCounter::acquire(const std::string& address) {
  if (cap_ == 0) return true;
  std::lock_guard lock(mutex_);
  auto& n = open_[address];
  if (n >= cap_) return false;
  ++n;
  return true;
}

void StreamCounter::release(const std::string& address) {
  if (cap_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = open_.find(address);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

std::size_t StreamCounter::open(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = open_.find(address);
  return it == open_.end() ? 0 : it->second;
}

std::string address_of(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    const auto close = remote.find(']');
    return std::string(remote.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(remote.substr(0, remote.rfind(':')));
}

}  // namespace henge::api
