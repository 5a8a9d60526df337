#pragma once
// The HTTP request and response as handlers see them: plain data with no trace of
// sockets or of Beast, so handlers compile fast and test without a network.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace henge::server {

struct Request {
  std::string method;                                        ///< upper case, e.g. "GET"
  std::string target;                                        ///< as sent: path and query
  std::string path;                                          ///< the target before '?', not decoded
  std::string query;                                         ///< the target after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body;
  std::string remote;  ///< peer address, "ip:port"

  /// The first header named `lower_name`, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return &v;
    }
    return nullptr;
  }
};

class StreamSource;

/// A server-sent-event stream a handler opens instead of answering with a body. Its
/// source's frames are written until the source closes it or the client goes away.
struct StreamBody {
  std::shared_ptr<StreamSource> source;
  std::chrono::milliseconds keepalive{15000};  ///< a ": keepalive" comment when idle this long
  std::function<void()> on_close;              ///< runs on a worker thread after the stream ends
  /// Runs once a stamped batch (StreamSource::Batch::due) is written, with the time
  /// since its stamp, on whichever thread wrote it (a plain-HTTP stream writes from the
  /// thread that queued the frame): it must be thread-safe.
  std::function<void(std::chrono::steady_clock::duration)> on_written;
};

struct Response {
  int status = 200;
  std::string content_type;  ///< empty when there is no body
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;                  ///< close the connection after this response
  std::shared_ptr<StreamBody> stream;  ///< when set: a text/event-stream, not a body
};

}  // namespace henge::server
