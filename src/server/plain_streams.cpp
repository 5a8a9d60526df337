#include "server/plain_streams.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>

#include "server/stream_source.hpp"

namespace henge::server {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A keepalive goes out at most a quarter of its interval late: clients count three
// silent intervals before they give up on a stream.
constexpr Clock::duration kMaxSweepPeriod = 1s;
constexpr Clock::duration kMinSweepPeriod = 10ms;
constexpr std::size_t kMaxIov = 16;

const Frame& head_frame() {
  static const auto frame = std::make_shared<const std::string>(
      "HTTP/1.1 200 OK\r\nServer: henge\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n");
  return frame;
}

const Frame& keepalive_frame() {
  static const auto frame = std::make_shared<const std::string>(": keepalive\n\n");
  return frame;
}

// A stream's client sends nothing after its request, so anything readable is its
// close (or junk it may not send); a read that would block means it is still there.
bool peer_gone(int fd) {
  std::array<char, 16> probe{};
  const auto n = ::recv(fd, probe.data(), probe.size(), MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

}  // namespace

struct PlainStreams::Stream {
  std::mutex mu;
  int fd = -1;
  std::shared_ptr<StreamBody> body;
  std::function<void()> on_end;
  std::vector<Frame> pending;  // taken from the source, not yet all sent
  std::size_t offset = 0;      // into pending.front()
  Clock::time_point due{};     // the stamp of the batch in `pending`, for on_written
  Clock::time_point last_write;
  Clock::time_point stalled_since;
  Clock::duration write_timeout{};
  std::unique_ptr<asio::posix::stream_descriptor> waiter;  // only while the socket is full
  bool closing = false;                                    // the source's close is in `pending`: end once it is out
  bool ended = false;
  std::size_t index = 0;  // in streams_, guarded by PlainStreams::mu_
};

PlainStreams::PlainStreams(asio::io_context& ioc, asio::thread_pool& workers)
    : ioc_(ioc), workers_(workers), sweep_timer_(ioc) {}

PlainStreams::~PlainStreams() {
  close_all();
}

void PlainStreams::serve(int fd, std::shared_ptr<StreamBody> body, std::function<void()> on_end) {
  auto s = std::make_shared<Stream>();
  s->fd = fd;
  s->write_timeout = std::max<Clock::duration>(body->keepalive * 3, 5s);
  s->last_write = Clock::now();
  s->on_end = std::move(on_end);
  s->pending.push_back(head_frame());
  s->body = std::move(body);
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      ::close(fd);
      s->on_end();
      return;
    }
    s->index = streams_.size();
    streams_.push_back(s);
    sweep_period_ =
        std::clamp<Clock::duration>(s->body->keepalive / 4, kMinSweepPeriod, std::min(sweep_period_, kMaxSweepPeriod));
    if (!sweeping_) {
      sweeping_ = true;
      schedule_sweep();
    }
  }
  s->body->source->set_notify([this, weak = std::weak_ptr<Stream>(s)] {
    if (auto locked = weak.lock()) pump(locked);
  });
  pump(s);
}

// Sends what is pending and then what the source holds, until the socket is full or
// the source empty. Runs on whichever thread queued a frame.
void PlainStreams::pump(const std::shared_ptr<Stream>& s) {
  std::lock_guard lock(s->mu);
  if (s->ended || s->waiter) return;  // a waiter pumps on once the socket has room
  for (;;) {
    if (s->pending.empty()) {
      if (s->closing) return end_locked(s);
      auto batch = s->body->source->take();
      if (batch.frames.empty() && !batch.closed) return;
      s->pending = std::move(batch.frames);
      s->offset = 0;
      s->due = batch.due;
      s->closing = batch.closed;
      continue;
    }
    std::array<iovec, kMaxIov> iov{};
    std::size_t count = 0;
    for (std::size_t i = 0; i < s->pending.size() && count < kMaxIov; ++i, ++count) {
      const auto& frame = *s->pending[i];
      const std::size_t skip = i == 0 ? s->offset : 0;
      iov[count] = {const_cast<char*>(frame.data()) + skip, frame.size() - skip};
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    const auto n = ::sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    const auto now = Clock::now();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      s->stalled_since = now;
      return wait_writable_locked(s);
    }
    if (n < 0) return end_locked(s);
    s->last_write = now;
    auto sent = static_cast<std::size_t>(n);
    while (sent > 0) {
      const std::size_t left = s->pending.front()->size() - s->offset;
      if (sent < left) {
        s->offset += sent;
        break;
      }
      sent -= left;
      s->pending.erase(s->pending.begin());
      s->offset = 0;
    }
    if (!s->pending.empty()) {
      s->stalled_since = now;
      return wait_writable_locked(s);
    }
    std::vector<Frame>().swap(s->pending);  // an idle stream keeps no buffer
    if (s->due != Clock::time_point{} && s->body->on_written) {
      s->body->on_written(now - s->due);
    }
    s->due = {};
  }
}

// The socket's buffer is full (a slow reader, or a large config): wait for room with an
// Asio descriptor made for the occasion, and give it back once there is room.
void PlainStreams::wait_writable_locked(const std::shared_ptr<Stream>& s) {
  boost::system::error_code ec;
  s->waiter = std::make_unique<asio::posix::stream_descriptor>(ioc_);
  s->waiter->assign(s->fd, ec);
  if (ec) {
    s->waiter.reset();
    return end_locked(s);
  }
  s->waiter->async_wait(asio::posix::stream_descriptor::wait_write, [this, s](const boost::system::error_code& wec) {
    {
      std::lock_guard lock(s->mu);
      if (s->ended) return;  // ended meanwhile; the waiter is gone
      s->waiter->release();
      s->waiter.reset();
      if (wec) return end_locked(s);
    }
    pump(s);
  });
}

void PlainStreams::end_locked(const std::shared_ptr<Stream>& s) {
  if (s->ended) return;
  s->ended = true;
  if (s->waiter) {
    s->waiter->release();  // its pending wait completes with operation_aborted
    s->waiter.reset();
  }
  ::shutdown(s->fd, SHUT_WR);
  ::close(s->fd);
  s->fd = -1;
  std::vector<Frame>().swap(s->pending);
  s->body->source->set_notify(nullptr);
  {
    std::lock_guard lock(mu_);
    if (s->index < streams_.size() && streams_[s->index] == s) {
      streams_[s->index] = std::move(streams_.back());
      streams_[s->index]->index = s->index;
      streams_.pop_back();
    }
  }
  if (s->body->on_close) asio::post(workers_, std::move(s->body->on_close));
  if (s->on_end) std::exchange(s->on_end, nullptr)();
}

void PlainStreams::schedule_sweep() {
  sweep_timer_.expires_after(sweep_period_);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sweep();
  });
}

// Keepalives that are due, clients that went away, writes that stalled.
void PlainStreams::sweep() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    all = streams_;
  }
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Stream>> to_pump;
  for (const auto& s : all) {
    std::lock_guard lock(s->mu);
    if (s->ended) continue;
    if (!s->pending.empty()) {
      if (now - s->stalled_since > s->write_timeout) end_locked(s);
      continue;
    }
    if (now - s->last_write < s->body->keepalive) continue;
    if (peer_gone(s->fd)) {
      end_locked(s);
      continue;
    }
    s->pending.push_back(keepalive_frame());
    s->offset = 0;
    to_pump.push_back(s);
  }
  for (const auto& s : to_pump) pump(s);
  std::lock_guard lock(mu_);
  if (!closed_) schedule_sweep();
}

void PlainStreams::close_all() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    sweep_timer_.cancel();
    all.swap(streams_);
  }
  for (const auto& s : all) {
    std::lock_guard lock(s->mu);
    end_locked(s);
  }
}

}  // namespace henge::server
