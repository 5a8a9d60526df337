#include "client/sse_parser.hpp"

#include <gtest/gtest.h>

namespace henge::client {
namespace {

std::vector<SseEvent> parse_whole(std::string_view bytes, std::size_t limit = 1024) {
  SseParser parser(limit);
  std::vector<SseEvent> out;
  EXPECT_TRUE(parser.feed(bytes, out));
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
  ASSERT_TRUE(parser.feed(kStream, out));
  expect_stream_events(out);
  EXPECT_EQ(parser.retry_ms(), 2000u);
}

TEST(SseParser, SameEventsWhateverTheSplit) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser parser(1024);
    std::vector<SseEvent> out;
    ASSERT_TRUE(parser.feed(kStream.substr(0, cut), out));
    ASSERT_TRUE(parser.feed(kStream.substr(cut), out));
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_stream_events(out);
    EXPECT_EQ(parser.retry_ms(), 2000u);
  }
}

TEST(SseParser, SameEventsFedOneByteAtATime) {
  SseParser parser(1024);
  std::vector<SseEvent> out;
  for (const char c : kStream) ASSERT_TRUE(parser.feed(std::string_view(&c, 1), out));
  expect_stream_events(out);
}

TEST(SseParser, AnEventIsDispatchedOnlyByItsBlankLine) {
  SseParser parser(1024);
  std::vector<SseEvent> out;
  ASSERT_TRUE(parser.feed("event: config\ndata: {}\n", out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(parser.feed("\n", out));
  EXPECT_EQ(out.size(), 1u);
}

TEST(SseParser, IgnoresUnknownFieldsBadRetriesAndEventsWithoutData) {
  const auto events = parse_whole("foo: bar\nretry: soon\nevent: x\n\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "message");  // the type of the data-less event was reset
  EXPECT_EQ(events[0].data, "");
  SseParser parser(64);
  std::vector<SseEvent> out;
  ASSERT_TRUE(parser.feed("retry: 12x\n\n", out));
  EXPECT_FALSE(parser.retry_ms().has_value());
}

TEST(SseParser, ALineOverTheLimitBreaksTheStream) {
  SseParser parser(16);
  std::vector<SseEvent> out;
  EXPECT_FALSE(parser.feed("data: " + std::string(32, 'x'), out));
  EXPECT_TRUE(parser.broken());
  EXPECT_FALSE(parser.feed("\n\n", out));
  EXPECT_TRUE(out.empty());
}

TEST(SseParser, DataOverTheLimitAcrossLinesBreaksTheStream) {
  SseParser parser(16);
  std::vector<SseEvent> out;
  EXPECT_FALSE(parser.feed("data: 0123456\ndata: 0123456\ndata: 0123456\n\n", out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace henge::client
