// The C event parser: the same events whatever the split, limits, and stopping.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "sse.h"
}

namespace {

struct Event {
  std::string type, data, id;
  size_t oversized = 0;  // the size of an event skipped over the limit (data NULL)
};

int collect(void* user, const char* type, const char* data, size_t len, const char* id) {
  auto* events = static_cast<std::vector<Event>*>(user);
  if (data == nullptr) {
    events->push_back({type, "", id, len});
  } else {
    events->push_back({type, std::string(data, len), id, 0});
  }
  return 0;
}

constexpr std::string_view kStream =
    "\xEF\xBB\xBFretry: 2000\r\n\r\n"
    "event: config\r\nid: 42\r\ndata: {\"a\":1}\r\n\r\n"
    ": keepalive\n\n"
    "data: line one\rdata:line two\r\r"
    "event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n";

void expect_events(const std::vector<Event>& events) {
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "config");
  EXPECT_EQ(events[0].id, "42");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(events[1].data, "line one\nline two");
  EXPECT_EQ(events[1].id, "42");
  EXPECT_EQ(events[2].type, "goaway");
}

TEST(CSse, SameEventsWhateverTheSplit) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    henge_sse p;
    henge_sse_init(&p, 1024);
    std::vector<Event> events;
    ASSERT_EQ(henge_sse_feed(&p, kStream.data(), cut, collect, &events), 0);
    ASSERT_EQ(henge_sse_feed(&p, kStream.data() + cut, kStream.size() - cut, collect, &events), 0);
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_events(events);
    EXPECT_EQ(p.retry_ms, 2000);
    henge_sse_free(&p);
  }
}

TEST(CSse, SameEventsOneByteAtATime) {
  henge_sse p;
  henge_sse_init(&p, 1024);
  std::vector<Event> events;
  for (const char c : kStream) ASSERT_EQ(henge_sse_feed(&p, &c, 1, collect, &events), 0);
  expect_events(events);
  henge_sse_free(&p);
}

TEST(CSse, ALeadingPartialByteOrderMarkIsKeptAsText) {
  henge_sse p;
  henge_sse_init(&p, 1024);
  std::vector<Event> events;
  const std::string_view text = "\xEF\xBBz: 1\ndata: x\n\n";
  ASSERT_EQ(henge_sse_feed(&p, text.data(), text.size(), collect, &events), 0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
  henge_sse_free(&p);
}

TEST(CSse, AnEventOverTheLimitIsSkippedAndReportedAndTheStreamGoesOn) {
  henge_sse p;
  henge_sse_init(&p, 16);
  std::vector<Event> events;
  const std::string big = "event: config\nid: 7\ndata: " + std::string(32, 'x');
  EXPECT_EQ(henge_sse_feed(&p, big.data(), big.size(), collect, &events), 0);
  EXPECT_TRUE(events.empty());
  const std::string rest = "\n\nevent: config\nid: 8\ndata: {}\n\n";
  EXPECT_EQ(henge_sse_feed(&p, rest.data(), rest.size(), collect, &events), 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "config");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_GE(events[0].oversized, 32u);
  EXPECT_EQ(events[1].id, "8");
  EXPECT_EQ(events[1].data, "{}");
  EXPECT_EQ(events[1].oversized, 0u);
  henge_sse_free(&p);

  henge_sse q;
  henge_sse_init(&q, 16);
  events.clear();
  const std::string lines = "data: 0123456\ndata: 0123456\ndata: 0123456\n\ndata: ok\n\n";
  EXPECT_EQ(henge_sse_feed(&q, lines.data(), lines.size(), collect, &events), 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_GT(events[0].oversized, 16u);
  EXPECT_EQ(events[1].data, "ok");
  henge_sse_free(&q);
}

int stop_at_first(void* user, const char*, const char*, size_t, const char*) {
  ++*static_cast<int*>(user);
  return 1;
}

TEST(CSse, TheCallbackCanStopTheParse) {
  henge_sse p;
  henge_sse_init(&p, 1024);
  int calls = 0;
  const std::string_view text = "data: a\n\ndata: b\n\n";
  EXPECT_EQ(henge_sse_feed(&p, text.data(), text.size(), stop_at_first, &calls), 1);
  EXPECT_EQ(calls, 1);
  henge_sse_free(&p);
}

TEST(CSse, IgnoresUnknownFieldsAndBadRetries) {
  henge_sse p;
  henge_sse_init(&p, 1024);
  std::vector<Event> events;
  const std::string_view text = "foo: bar\nretry: soon\nretry: 12x\nevent: x\n\ndata\n\n";
  ASSERT_EQ(henge_sse_feed(&p, text.data(), text.size(), collect, &events), 0);
  EXPECT_EQ(p.retry_ms, -1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "");
  henge_sse_free(&p);
}

}  // namespace
