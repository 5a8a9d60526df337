#include "fleet.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <string_view>

namespace henge::loadgen {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {

constexpr std::uint32_t kWatch = UINT32_MAX;  // epoll data of the control descriptor

}  // namespace

struct Fleet::Conn {
  enum class State : std::uint8_t { idle, waiting, connecting, greeted, open, stopped };
  int fd = -1;
  State state = State::idle;
  bool shutdown_goaway = false;  // the server said it is stopping: reconnect within its retry window
  std::uint32_t failures = 0;    // consecutive, for the backoff
  std::int64_t last_revision = 0;
  std::int64_t armed_revision = -1;  // counting the first event newer than this; -1: not
  std::int64_t opened_ns = 0;
  std::int64_t pinged_ns = 0;
  std::int64_t retry_ms = 2000;
  std::unique_ptr<Session> session;  // while connected
};

struct Fleet::Timer {
  std::int64_t due;
  std::uint32_t conn;
  bool operator>(const Timer& o) const { return due > o.due; }
};

Fleet::Fleet(FleetOptions options, std::vector<Identity> devices)
    : opt_(std::move(options)), devices_(std::move(devices)), conns_(devices_.size()) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
}

Fleet::~Fleet() {
  for (auto& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  if (epoll_ >= 0) ::close(epoll_);
}

std::size_t Fleet::size() const {
  return conns_.size();
}

void Fleet::start() {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    conns_[i].state = Conn::State::waiting;
    ++counts_.waiting;
    ready_.push_back(i);
  }
  next_connect_ns_ = now_ns();
}

void Fleet::arm() {
  armed_ = true;
  arrivals_ = {};
  arrivals_.ns.reserve(conns_.size());
  for (auto& c : conns_) c.armed_revision = c.state == Conn::State::stopped ? -1 : c.last_revision;
}

void Fleet::begin_connect(std::uint32_t i) {
  auto& c = conns_[i];
  --counts_.waiting;
  c.state = Conn::State::connecting;
  ++counts_.connecting;
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return end(i, 0);
  if (!opt_.sources.empty()) {
    // The port is chosen at connect(), per destination, so one source address serves
    // a full ephemeral range for each server.
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = opt_.sources[i % opt_.sources.size()];
    if (::bind(c.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return end(i, 0);
  }
  const auto& server = opt_.servers[i % opt_.servers.size()];
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
    return end(i, 0);
  }
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u32 = i;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return end(i, 0);
  ++counts_.connects;
}

void Fleet::on_ready(std::uint32_t i, std::uint32_t events) {
  auto& c = conns_[i];
  if (c.state == Conn::State::connecting) {
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) return end(i, 0);
    c.session = make_session(opt_.protocol, devices_[i], opt_.session);
    const auto greeting = c.session->greeting(c.last_revision);
    // A greeting this small always fits an empty socket buffer.
    if (::send(c.fd, greeting.data(), greeting.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(greeting.size())) {
      return end(i, 0);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.state = Conn::State::greeted;
    return;
  }
  static std::array<char, 64 << 10> buffer;
  for (;;) {
    const auto n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      on_bytes(i, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (c.fd < 0) return;  // the bytes ended it
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    return end(i, 0);  // closed or broken
  }
}

void Fleet::on_bytes(std::uint32_t i, std::string_view bytes) {
  auto& c = conns_[i];
  heard_.reset();
  c.session->feed(bytes, heard_);
  const auto now = now_ns();
  if (heard_.opened && c.state == Conn::State::greeted) {
    --counts_.connecting;
    ++counts_.open;
    c.state = Conn::State::open;
    c.opened_ns = c.pinged_ns = counts_.last_open_ns = now;
    c.shutdown_goaway = false;
  }
  for (const auto revision : heard_.revisions) {
    ++counts_.events;
    c.last_revision = std::max(c.last_revision, revision);
    if (armed_ && c.armed_revision >= 0 && revision > c.armed_revision) {
      arrivals_.ns.push_back(now);
      arrivals_.max_revision = std::max(arrivals_.max_revision, revision);
      c.armed_revision = -1;
    }
  }
  // Acks and pongs are a few bytes against an emptying socket buffer; one that does not
  // fit means the server is not reading, and the connection is as good as gone.
  if (!heard_.reply.empty() && ::send(c.fd, heard_.reply.data(), heard_.reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
                                   static_cast<ssize_t>(heard_.reply.size())) {
    heard_.failed = true;
  }
  if (heard_.retry_ms) c.retry_ms = *heard_.retry_ms;
  if (heard_.shutdown) c.shutdown_goaway = true;
  if (heard_.refused) return stop(i);
  if (heard_.failed) return end(i, heard_.retry_after_ms);
}

void Fleet::stop(std::uint32_t i) {
  auto& c = conns_[i];
  ::close(c.fd);
  c.fd = -1;
  if (c.state == Conn::State::open) {
    --counts_.open;
  } else {
    --counts_.connecting;
  }
  c.state = Conn::State::stopped;
  c.session.reset();
  ++counts_.refused;
}

std::int64_t Fleet::backoff_ms(Conn& c) {
  const auto exponent = std::min<std::uint32_t>(c.failures, 20);
  ++c.failures;
  const auto upper = std::min<std::int64_t>(opt_.cap_delay_ms, opt_.base_delay_ms << exponent);
  return std::uniform_int_distribution<std::int64_t>(0, upper)(rng_);
}

void Fleet::end(std::uint32_t i, std::int64_t retry_after_ms) {
  auto& c = conns_[i];
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  ++counts_.failures;
  std::int64_t delay = 0;
  if (c.state == Conn::State::open) {
    --counts_.open;
    if ((now_ns() - c.opened_ns) / 1'000'000 >= opt_.healthy_ms) c.failures = 0;
  } else {
    --counts_.connecting;
  }
  if (c.shutdown_goaway) {
    delay = std::uniform_int_distribution<std::int64_t>(0, std::min(c.retry_ms, opt_.cap_delay_ms))(rng_);
    c.shutdown_goaway = false;
  } else {
    delay = backoff_ms(c);
  }
  if (retry_after_ms > 0) delay = std::min(opt_.cap_delay_ms, std::max(delay, retry_after_ms));
  c.session.reset();
  c.state = Conn::State::waiting;
  ++counts_.waiting;
  schedule(i, delay);
}

void Fleet::schedule(std::uint32_t i, std::int64_t delay_ms) {
  timers_.push_back({now_ns() + delay_ms * 1'000'000, i});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void Fleet::fire_due_timers(std::int64_t now) {
  while (!timers_.empty() && timers_.front().due <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    ready_.push_back(timers_.back().conn);
    timers_.pop_back();
  }
}

void Fleet::start_waiting_connects(std::int64_t now) {
  if (opt_.connect_rate > 0 && next_connect_ns_ < now - 1'000'000'000) next_connect_ns_ = now;  // no catching up
  while (ready_head_ < ready_.size() && counts_.connecting < opt_.max_connecting) {
    if (opt_.connect_rate > 0) {
      if (next_connect_ns_ > now) break;
      next_connect_ns_ += static_cast<std::int64_t>(1e9 / opt_.connect_rate);
    }
    begin_connect(ready_[ready_head_++]);
  }
  if (ready_head_ == ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
  }
}

void Fleet::send_due_pings(std::int64_t now) {
  if (now < next_ping_sweep_ns_) return;
  next_ping_sweep_ns_ = now + 1'000'000'000;
  const auto due = now - opt_.ping_ms * 1'000'000;
  for (auto& c : conns_) {
    if (c.state != Conn::State::open || c.pinged_ns > due) continue;
    const auto ping = c.session->ping();
    if (ping.empty()) return;  // the protocol has none
    // Best effort: a socket too full for a ping has traffic enough to stay alive.
    ::send(c.fd, ping.data(), ping.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    c.pinged_ns = now;
  }
}

bool Fleet::run_until(std::int64_t until, int watch_fd) {
  if (watch_fd >= 0 && !watching_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = kWatch;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, watch_fd, &ev);
    watching_ = true;
  }
  std::array<epoll_event, 1024> events{};
  for (;;) {
    auto now = now_ns();
    fire_due_timers(now);
    start_waiting_connects(now);
    send_due_pings(now);
    if (now >= until) return false;
    auto wait = std::min<std::int64_t>({until - now, 100'000'000, next_ping_sweep_ns_ - now});
    if (!timers_.empty()) wait = std::min(wait, timers_.front().due - now);
    if (ready_head_ < ready_.size() && counts_.connecting < opt_.max_connecting) {
      wait = std::min(wait, std::max<std::int64_t>(0, next_connect_ns_ - now));
    }
    const int timeout_ms = static_cast<int>((std::max<std::int64_t>(0, wait) + 999'999) / 1'000'000);
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    bool watched = false;
    for (int k = 0; k < n; ++k) {
      if (events[k].data.u32 == kWatch) {
        watched = true;
      } else if (conns_[events[k].data.u32].fd >= 0) {
        on_ready(events[k].data.u32, events[k].events);
      }
    }
    if (watched) return true;
  }
}

}  // namespace henge::loadgen
