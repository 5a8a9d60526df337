// The round-trip invariant under fuzzing (src/api/round_trip.hpp): an HTTP request, as
// bytes from the network, through henged's parser and every handler over a real SQLite
// store; then every read must still answer 2xx or a documented 4xx. The store lives
// across inputs, so that a row one input writes is read by the checks of the next ones
// too, and starts afresh every kInputsPerStore inputs so that it stays small. A broken
// read aborts, naming the request and the read.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api/round_trip.hpp"
#include "log/log.hpp"
#include "request_bytes.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace fs = std::filesystem;
using namespace henge;

namespace {

constexpr int kInputsPerStore = 500;

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("henge-fuzz-round-trip-" + std::to_string(::getpid()));
  std::unique_ptr<api::RoundTrip> rt;
  int inputs = 0;

  Fixture() { log::configure(log::Level::error, log::Format::text); }

  api::RoundTrip& fresh() {
    if (rt && inputs++ < kInputsPerStore) return *rt;
    rt.reset();
    inputs = 0;
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto store = store::open_sqlite_store(dir / "henge.db");
    if (!store) std::abort();
    rt = std::make_unique<api::RoundTrip>(std::move(*store));
    return *rt;
  }

  ~Fixture() {
    rt.reset();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  auto req = fuzz::request_from_bytes(data, size);
  if (!req) return 0;
  auto& rt = fixture.fresh();
  if (auto broke = rt.check(std::move(*req))) {
    std::fprintf(stderr, "round trip broken: %s\n", broke->c_str());
    std::abort();
  }
  return 0;
}
