#include "client/sse_parser.hpp"

#include <gtest/gtest.h>

namespace henge::client {
namespace {

std::vector<SseEvent> parse_whole(std::string_view bytes, std::size_t limit = 1024) {
  SseParser parser(limit);
  std::vector<SseEvent> out;
  parser.feed(bytes, out);
  return out;
}

constexpr std::string_view kStream =
    "\xEF\xBB\xBFretry: 2000\r\n\r\n"
    "event: config\r\nid: 42\r\ndata: {\"a\":1}\r\n\r\n"
    ": keepalive\n\n"
    "data: line one\rdata:line two\r\r"
    "event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n";

void expect_stream_events(const std::vector<SseEvent>& events) {
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "config");
  EXPECT_EQ(events[0].id, "42");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(events[1].data, "line one\nline two");
  EXPECT_EQ(events[1].id, "42");  // the last id stays in force
  EXPECT_EQ(events[2].type, "goaway");
  EXPECT_EQ(events[2].data, "{\"reason\":\"shutdown\"}");
}

TEST(SseParser, ParsesEventsCommentsAndEveryLineEnd) {
  SseParser parser(1024);
  std::vector<SseEvent> out;
  parser.feed(kStream, out);
  expect_stream_events(out);
  EXPECT_EQ(parser.retry_ms(), 2000u);
}

TEST(SseParser, SameEventsWhateverTheSplit) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser parser(1024);
    std::vector<SseEvent> out;
    parser.feed(kStream.substr(0, cut), out);
    parser.feed(kStream.substr(cut), out);
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_stream_events(out);
    EXPECT_EQ(parser.retry_ms(), 2000u);
  }
}

TEST(SseParser, SameEventsFedOneByteAtATime) {
  SseParser parser(1024);
  std::vector<SseEvent> out;
  for (const char c : kStream) parser.feed(std::string_view(&c, 1), out);
  expect_stream_events(out);
}

TEST(SseParser, AnEventIsDispatchedOnlyByItsBlankLine) {
  SseParser parser(1024);
  std::vector<SseEvent> out;
  parser.feed("event: config\ndata: {}\n", out);
  EXPECT_TRUE(out.empty());
  parser.feed("\n", out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(SseParser, IgnoresUnknownFieldsBadRetriesAndEventsWithoutData) {
  const auto events = parse_whole("foo: bar\nretry: soon\nevent: x\n\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "message");  // the type of the data-less event was reset
  EXPECT_EQ(events[0].data, "");
  SseParser parser(64);
  std::vector<SseEvent> out;
  parser.feed("retry: 12x\n\n", out);
  EXPECT_FALSE(parser.retry_ms().has_value());
}

TEST(SseParser, AnEventOverTheLimitIsReportedWithoutItsDataAndTheStreamGoesOn) {
  SseParser parser(16);
  std::vector<SseEvent> out;
  parser.feed("event: config\nid: 7\ndata: " + std::string(32, 'x'), out);
  EXPECT_TRUE(out.empty());
  parser.feed("\n\nevent: config\nid: 8\ndata: {}\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, "config");
  EXPECT_EQ(out[0].id, "7");
  EXPECT_TRUE(out[0].data.empty());
  EXPECT_GE(out[0].oversized, 32u);
  EXPECT_EQ(out[1].id, "8");
  EXPECT_EQ(out[1].data, "{}");
  EXPECT_EQ(out[1].oversized, 0u);
}

TEST(SseParser, DataOverTheLimitAcrossLinesIsReportedAsOversized) {
  SseParser parser(16);
  std::vector<SseEvent> out;
  parser.feed("data: 0123456\ndata: 0123456\ndata: 0123456\n\ndata: ok\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_GT(out[0].oversized, 16u);
  EXPECT_TRUE(out[0].data.empty());
  EXPECT_EQ(out[1].data, "ok");
}

}  // namespace
}  // namespace henge::client
