// Paging cursors: what one list hands out, it takes back; another list's, or junk, is
// refused.

#include "api/http_io.hpp"

#include <gtest/gtest.h>

#include "push/fleet_events.hpp"
#include "push/hub.hpp"
#include "store/memory/memory_store.hpp"

namespace henge::api {
namespace {

using core::Errc;

TEST(HttpIo, CursorsRoundTripAndRejectForeignOnes) {
  auto store = store::make_memory_store();
  service::SchemaCache cache;
  push::Hub hub;
  push::FleetEvents fleet;
  ApiMetrics metrics;
  Services svc{*store, cache, hub, fleet, ApiOptions{}, [] { return 1000; }, metrics};
  server::Request req;
  Ctx c{svc, req, {}, {}, "req-1", Actor{"tester", "admin"}, 1000};
  c.query = {{"cursor", make_cursor("devices", "pi-7")}};
  auto got = page_cursor(c, "devices");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "pi-7");
  EXPECT_FALSE(page_cursor(c, "audit").ok()) << "a cursor of one list is not valid for another";
  c.query = {{"cursor", "%%%"}};
  EXPECT_EQ(page_cursor(c, "devices").error().code, Errc::invalid);
  c.query = {};
  EXPECT_EQ(*page_cursor(c, "devices"), "");
}

}  // namespace
}  // namespace henge::api
