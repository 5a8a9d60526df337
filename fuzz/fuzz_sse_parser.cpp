// henge-agent's server-sent events parser: the same bytes fed whole and fed in pieces
// (cut where the input's first bytes say) give the same events, the same retry and the
// same events over the size limit.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "client/sse_parser.hpp"

using henge::client::SseEvent;
using henge::client::SseParser;

namespace {

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id ||
        (a[i].oversized > 0) != (b[i].oversized > 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t limit = 16 + data[0] * 16;  // small limits, so that they are hit
  const std::size_t step = 1 + data[1] % 7;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  SseParser whole(limit);
  std::vector<SseEvent> whole_events;
  whole.feed(stream, whole_events);

  SseParser pieces(limit);
  std::vector<SseEvent> piece_events;
  for (std::size_t at = 0; at < stream.size(); at += step) pieces.feed(stream.substr(at, step), piece_events);
  // However the bytes were split, the same events (oversized ones included) come out.
  if (!same(whole_events, piece_events) || whole.retry_ms() != pieces.retry_ms()) std::abort();
  for (const auto& e : whole_events) {
    if (e.data.size() > limit || (e.oversized > 0 && !e.data.empty())) std::abort();
  }
  return 0;
}
