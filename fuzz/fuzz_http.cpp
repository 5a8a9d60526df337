// An HTTP request, as bytes from the network, through what henged does with it: Beast's
// parser with the server's limits, then routing, authentication, limits and every
// handler, on a fresh memory store with an admin token and a device whose tokens the
// seed corpus carries (api::RoundTrip's, so the fuzzer gets past authentication).
// Nothing may crash, leak, or answer outside HTTP's status range; every error answer is
// problem+json. (fuzz_round_trip.cpp then checks every read after it, over SQLite.)

#include <cstdint>
#include <cstdlib>

#include "api/round_trip.hpp"
#include "log/log.hpp"
#include "request_bytes.hpp"
#include "store/memory/memory_store.hpp"

using namespace henge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    log::configure(log::Level::error, log::Format::text);
    return true;
  }();
  (void)quiet;
  auto req = fuzz::request_from_bytes(data, size);
  if (!req) return 0;
  api::RoundTrip rt(store::make_memory_store());
  const server::Response resp = rt.handle(std::move(*req));
  if (resp.status < 100 || resp.status > 599) std::abort();
  if (resp.status >= 400 && resp.content_type != "application/problem+json") std::abort();
  return 0;
}
