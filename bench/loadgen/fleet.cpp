#include "fleet.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
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
constexpr std::size_t kMaxHead = 16 << 10;
constexpr std::size_t kMaxEvent = 1 << 20;

std::int64_t number(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : -1;
}

// The value of header `name` (lower case) in a response head, or empty.
std::string_view header(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const auto start = pos + 2;
    const auto end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto colon = line.find(':');
    if (colon == name.size() && std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
        })) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    pos = end;
  }
  return {};
}

}  // namespace

struct Fleet::Conn {
  enum class State : std::uint8_t { idle, waiting, connecting, head, open, stopped };
  int fd = -1;
  State state = State::idle;
  bool shutdown_goaway = false;  // the server said it is stopping: reconnect within its retry window
  std::uint32_t failures = 0;    // consecutive, for the backoff
  std::int64_t last_revision = 0;
  std::int64_t armed_revision = -1;  // counting the first event newer than this; -1: not
  std::int64_t opened_ns = 0;
  std::int64_t retry_ms = 2000;
  std::string head;
  std::unique_ptr<client::SseParser> sse;  // only while open
};

struct Fleet::Timer {
  std::int64_t due;
  std::uint32_t conn;
  bool operator>(const Timer& o) const { return due > o.due; }
};

Fleet::Fleet(FleetOptions options, std::vector<std::string> tokens)
    : opt_(std::move(options)), tokens_(std::move(tokens)), conns_(tokens_.size()) {
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
    std::string request =
        "GET /v1/device/stream HTTP/1.1\r\nHost: henge\r\nAuthorization: Bearer " + tokens_[i] + "\r\n";
    if (c.last_revision > 0) request += "Last-Event-ID: " + std::to_string(c.last_revision) + "\r\n";
    request += "\r\n";
    // A request this small always fits an empty socket buffer.
    if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      return end(i, 0);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.state = Conn::State::head;
    return;
  }
  static std::array<char, 64 << 10> buffer;
  for (;;) {
    const auto n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      on_bytes(i, buffer.data(), static_cast<std::size_t>(n));
      if (c.fd < 0) return;  // the bytes ended it
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    return end(i, 0);  // closed or broken
  }
}

void Fleet::on_bytes(std::uint32_t i, const char* data, std::size_t n) {
  auto& c = conns_[i];
  std::string_view bytes(data, n);
  if (c.state == Conn::State::head) {
    c.head.append(bytes);
    const auto end_of_head = c.head.find("\r\n\r\n");
    if (end_of_head == std::string::npos) {
      if (c.head.size() > kMaxHead) end(i, 0);
      return;
    }
    const std::string rest = c.head.substr(end_of_head + 4);
    c.head.resize(end_of_head + 2);
    on_head(i);
    if (c.state != Conn::State::open || rest.empty()) return;
    bytes = rest;
    events_.clear();
    c.sse->feed(bytes, events_);
  } else {
    events_.clear();
    if (!c.sse->feed(bytes, events_)) return end(i, 0);
  }
  const auto now = now_ns();
  for (const auto& e : events_) {
    if (e.type == "config") {
      const auto revision = number(e.id);
      if (revision <= 0) continue;
      ++counts_.events;
      c.last_revision = std::max(c.last_revision, revision);
      if (armed_ && c.armed_revision >= 0 && revision > c.armed_revision) {
        arrivals_.ns.push_back(now);
        arrivals_.max_revision = std::max(arrivals_.max_revision, revision);
        c.armed_revision = -1;
      }
    } else if (e.type == "goaway") {
      // replaced, deleted, token_rotated: the agent would not reconnect, nor do we.
      if (e.data.find("shutdown") != std::string::npos || e.data.find("overflow") != std::string::npos) {
        c.shutdown_goaway = e.data.find("shutdown") != std::string::npos;
      } else {
        ::close(c.fd);
        c.fd = -1;
        --counts_.open;
        c.state = Conn::State::stopped;
        c.sse.reset();
        ++counts_.refused;
        return;
      }
    }
  }
  if (auto r = c.sse->retry_ms()) c.retry_ms = static_cast<std::int64_t>(*r);
}

void Fleet::on_head(std::uint32_t i) {
  auto& c = conns_[i];
  std::string_view head = c.head;
  const auto status = head.size() > 12 ? number(head.substr(9, 3)) : -1;
  if (status == 200) {
    --counts_.connecting;
    ++counts_.open;
    c.state = Conn::State::open;
    c.opened_ns = counts_.last_open_ns = now_ns();
    c.shutdown_goaway = false;
    c.sse = std::make_unique<client::SseParser>(kMaxEvent);
    std::string().swap(c.head);
    return;
  }
  if (status == 401 || status == 403) {
    ::close(c.fd);
    c.fd = -1;
    --counts_.connecting;
    c.state = Conn::State::stopped;
    ++counts_.refused;
    return;
  }
  const auto retry_after = number(header(head, "retry-after"));  // 429, 503
  end(i, retry_after > 0 ? retry_after * 1000 : 0);
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
  c.sse.reset();
  std::string().swap(c.head);
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
    if (now >= until) return false;
    std::int64_t wait = std::min<std::int64_t>(until - now, 100'000'000);
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
