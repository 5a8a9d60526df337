#pragma once
// What a text/event-stream writes: frames filled from any thread by whoever owns the
// stream (push/ for henge's streams), drained by the server as the socket takes them.
// The server knows bytes, order and the end of a stream; what the frames mean is the
// source's.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace henge::server {

/// One frame's bytes, shared: the same frame often goes to thousands of streams.
using Frame = std::shared_ptr<const std::string>;

class StreamSource {
 public:
  /// What the server writes next, in order.
  struct Batch {
    std::vector<Frame> frames;
    bool closed = false;  ///< the stream ends after these frames
    /// When this batch's content became due, if the source stamps it (else the
    /// epoch): once the batch is written, the server hands StreamBody::on_written the
    /// time since.
    std::chrono::steady_clock::time_point due{};
  };

  virtual ~StreamSource() = default;
  /// Takes what waits; an empty, not closed batch when nothing does.
  virtual Batch take() = 0;
  /// True when take() would return something.
  [[nodiscard]] virtual bool ready() const = 0;
  /// Called after something is queued, from the thread that queued it. The server sets
  /// it while it serves the stream and clears it (nullptr) when the stream ends.
  virtual void set_notify(std::function<void()> notify) = 0;
};

}  // namespace henge::server
