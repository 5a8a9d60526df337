// henge-agent's server-sent events parser: the same bytes fed whole and fed in pieces
// (cut where the input's first bytes say) give the same events, the same retry and the
// same verdict on the size limit.

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
    if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id) return false;
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
  const bool whole_ok = whole.feed(stream, whole_events);

  SseParser pieces(limit);
  std::vector<SseEvent> piece_events;
  bool pieces_ok = true;
  for (std::size_t at = 0; at < stream.size() && pieces_ok; at += step) {
    pieces_ok = pieces.feed(stream.substr(at, step), piece_events);
  }
  if (whole_ok != pieces_ok) std::abort();
  // Once broken, what came before the break may differ in how far it got; when both
  // finished, everything must agree.
  if (whole_ok && (!same(whole_events, piece_events) || whole.retry_ms() != pieces.retry_ms())) std::abort();
  return 0;
}
