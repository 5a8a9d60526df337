#include "server/plain_streams.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <thread>

#include "server/stream_source.hpp"

namespace henge::server {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

Frame frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// The plainest source: frames in the order pushed, then a last one and the end.
class TestSource final : public StreamSource {
 public:
  void push(Frame f) {
    std::unique_lock lock(mu_);
    if (closing_) return;
    frames_.push_back(std::move(f));
    notify(lock);
  }
  void close(Frame last) {
    std::unique_lock lock(mu_);
    if (closing_) return;
    frames_.push_back(std::move(last));
    closing_ = true;
    notify(lock);
  }
  Batch take() override {
    std::lock_guard lock(mu_);
    Batch b;
    b.frames.swap(frames_);
    b.closed = closing_;
    return b;
  }
  [[nodiscard]] bool ready() const override {
    std::lock_guard lock(mu_);
    return !frames_.empty() || closing_;
  }
  void set_notify(std::function<void()> notify) override {
    std::lock_guard lock(mu_);
    notify_ = std::move(notify);
  }

 private:
  void notify(std::unique_lock<std::mutex>& lock) {
    auto n = notify_;
    lock.unlock();
    if (n) n();
  }
  mutable std::mutex mu_;
  std::vector<Frame> frames_;
  bool closing_ = false;
  std::function<void()> notify_;
};

// One side of a socket pair for the pool, the other read here as a client would.
class PlainStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_fd_ = fds[0];
    client_fd_ = fds[1];
    io_thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    pool_.close_all();
    work_.reset();
    io_thread_.join();
    if (client_fd_ >= 0) ::close(client_fd_);
    workers_.join();
  }

  std::shared_ptr<TestSource> serve(std::chrono::milliseconds keepalive) {
    auto body = std::make_shared<StreamBody>();
    auto queue = std::make_shared<TestSource>();
    queue->push(frame("retry: 1\n\n"));
    body->source = queue;
    body->keepalive = keepalive;
    body->on_close = [this] { closed_.fetch_add(1); };
    pool_.serve(server_fd_, std::move(body), [this] { ended_.fetch_add(1); });
    return queue;
  }

  // Reads until `done(all read so far)` or the deadline; false on the deadline.
  bool read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds within = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    char buf[65536];
    while (!done(read_)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{client_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const auto n = ::read(client_fd_, buf, sizeof buf);
      if (n <= 0) {
        eof_ = true;
        return done(read_);
      }
      read_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  static bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds within = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  asio::thread_pool workers_{1};
  PlainStreams pool_{ioc_, workers_};
  std::thread io_thread_;
  int server_fd_ = -1;
  int client_fd_ = -1;
  std::string read_;
  bool eof_ = false;
  std::atomic<int> ended_{0};
  std::atomic<int> closed_{0};
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(PlainStreamsTest, HeadAndPreambleFirstThenFramesFromManyThreadsEachWholeAndInOrder) {
  auto queue = serve(60s);
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> writers;
  writers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&queue, t] {
      for (int k = 0; k < kEach; ++k)
        queue->push(frame("data: " + std::to_string(t) + "-" + std::to_string(k) + "\n\n"));
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_TRUE(read_until([](const std::string& r) { return count(r, "data: ") == std::size_t{kThreads} * kEach; }));
  EXPECT_EQ(read_.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(read_.find("\r\n\r\nretry: 1\n\n"), std::string::npos);
  for (int t = 0; t < kThreads; ++t) {
    std::size_t last = 0;
    for (int k = 0; k < kEach; ++k) {
      const auto at = read_.find("data: " + std::to_string(t) + "-" + std::to_string(k) + "\n\n");
      ASSERT_NE(at, std::string::npos) << t << "-" << k;
      EXPECT_GT(at, last) << t << "-" << k;
      last = at;
    }
  }
}

TEST_F(PlainStreamsTest, AFrameLargerThanTheSocketBufferGoesOutWhenTheClientReads) {
  auto queue = serve(60s);
  const std::string big(4 << 20, 'x');  // far over a socket buffer: the pool must wait for room
  queue->push(frame("data: " + big + "\n\n"));
  queue->push(frame("data: after\n\n"));
  ASSERT_TRUE(read_until([](const std::string& r) { return r.find("data: after\n\n") != std::string::npos; }));
  EXPECT_NE(read_.find("data: " + big + "\n\ndata: after\n\n"), std::string::npos);
}

TEST_F(PlainStreamsTest, CloseWritesTheLastFrameThenEndsOnce) {
  auto queue = serve(60s);
  queue->close(frame("event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n"));
  ASSERT_TRUE(read_until([this](const std::string&) { return eof_; }));
  EXPECT_NE(read_.find("event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n"), std::string::npos);
  ASSERT_TRUE(wait_for([this] { return ended_.load() == 1 && closed_.load() == 1; }));
  queue->push(frame("data: too late\n\n"));  // ignored: the stream is gone
  EXPECT_EQ(ended_.load(), 1);
}

TEST_F(PlainStreamsTest, IdleStreamsGetKeepalives) {
  serve(40ms);
  ASSERT_TRUE(read_until([](const std::string& r) { return count(r, ": keepalive\n\n") >= 3; }));
  EXPECT_EQ(ended_.load(), 0);
}

TEST_F(PlainStreamsTest, AClientThatWentAwayIsFoundWithinAKeepalive) {
  serve(40ms);
  ::close(client_fd_);
  client_fd_ = -1;
  EXPECT_TRUE(wait_for([this] { return ended_.load() == 1 && closed_.load() == 1; }, 5s));
}

TEST_F(PlainStreamsTest, AClientThatStopsReadingIsClosedAfterTheWriteTimeout) {
  auto queue = serve(40ms);  // the write timeout is then its floor, 5 s
  const std::string big(4 << 20, 'x');
  queue->push(frame("data: " + big + "\n\n"));
  EXPECT_FALSE(wait_for([this] { return ended_.load() == 1; }, 4s)) << "closed before the write timeout";
  EXPECT_TRUE(wait_for([this] { return ended_.load() == 1; }, 4s)) << "not closed after the write timeout";
}

}  // namespace
}  // namespace henge::server
