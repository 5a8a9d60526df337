#pragma once
// The event streams of plain-HTTP connections, served without a coroutine, a timer or
// an Asio socket each. A process holds tens of thousands of them, idle nearly all the
// time; what one costs while idle is what bounds how many a replica can hold. So once a
// connection's request has become a stream, the session hands its bare socket here and
// ends:
//
// - frames go out from whichever thread queued them (the hub's dispatcher, mostly),
//   with non-blocking sends under the stream's own lock; only when the socket's buffer
//   is full does a stream borrow an Asio descriptor to wait until it drains;
// - one sweep a second (or a quarter of the keepalive, if shorter) writes the
//   keepalives that are due, finds clients that went
//   away (checked when a keepalive is due, as the TLS path does) and closes
//   streams whose writes have stalled for three keepalive periods.
//
// Internal to server.cpp (it includes Asio).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "server/http_types.hpp"

namespace henge::server {

class PlainStreams final {
 public:
  PlainStreams(boost::asio::io_context& ioc, boost::asio::thread_pool& workers);
  ~PlainStreams();
  PlainStreams(const PlainStreams&) = delete;
  PlainStreams& operator=(const PlainStreams&) = delete;

  /// Takes over the connected socket `fd` (non-blocking) for `body`: writes the
  /// response head, then its source's frames until it closes or the client goes away.
  /// `on_end` runs once, when the stream has ended and its socket is closed.
  void serve(int fd, std::shared_ptr<StreamBody> body, std::function<void()> on_end);

  /// Stops the sweep and closes every stream still open (at shutdown, after the drain).
  void close_all();

 private:
  struct Stream;
  void pump(const std::shared_ptr<Stream>& s);
  void end_locked(const std::shared_ptr<Stream>& s);
  void wait_writable_locked(const std::shared_ptr<Stream>& s);
  void sweep();
  void schedule_sweep();

  boost::asio::io_context& ioc_;
  boost::asio::thread_pool& workers_;
  boost::asio::steady_timer sweep_timer_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Stream>> streams_;  // each knows its index, for removal in O(1)
  std::chrono::steady_clock::duration sweep_period_ = std::chrono::seconds(1);  // the shortest keepalive's quarter
  bool sweeping_ = false;
  bool closed_ = false;
};

}  // namespace henge::server
