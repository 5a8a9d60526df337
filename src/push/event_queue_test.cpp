#include "push/event_queue.hpp"

#include <gtest/gtest.h>

namespace henge::push {
namespace {

Frame f(const char* s) {
  return std::make_shared<const std::string>(s);
}

std::vector<std::string> texts(const EventQueue::Batch& b) {
  std::vector<std::string> out;
  for (const auto& fr : b.frames) out.push_back(*fr);
  return out;
}

TEST(EventQueue, PreambleComesFirstOnce) {
  EventQueue q("retry: 2000\n\n", 4, f("overflow"));
  q.push_config(5, f("c5"));
  EXPECT_EQ(texts(q.take()), (std::vector<std::string>{"retry: 2000\n\n", "c5"}));
  EXPECT_FALSE(q.ready());
  EXPECT_TRUE(texts(q.take()).empty());
}

TEST(EventQueue, OnlyTheNewestConfigWaits) {
  EventQueue q("", 4, f("overflow"));
  q.push_config(5, f("c5"));
  q.push_config(7, f("c7"));
  q.push_config(6, f("c6"));  // older than one already queued: dropped
  EXPECT_EQ(texts(q.take()), std::vector<std::string>{"c7"});
  q.push_config(7, f("c7-again"));  // not newer than what was sent
  EXPECT_FALSE(q.ready());
  q.push_config(8, f("c8"));
  EXPECT_EQ(texts(q.take()), std::vector<std::string>{"c8"});
}

TEST(EventQueue, EventsKeepOrderAndOverflowCloses) {
  EventQueue q("", 2, f("goaway overflow"));
  q.push(f("e1"));
  q.push(f("e2"));
  q.push(f("e3"));  // over the bound: the stream closes instead
  q.push(f("e4"));  // after close: ignored
  auto b = q.take();
  EXPECT_EQ(texts(b), (std::vector<std::string>{"e1", "e2", "goaway overflow"}));
  EXPECT_TRUE(b.closed);
  EXPECT_TRUE(q.take().closed);
}

TEST(EventQueue, CloseSendsTheLastFrameAfterWhatWaits) {
  EventQueue q("", 4, f("overflow"));
  q.push_config(1, f("c1"));
  q.close(f("goaway replaced"));
  q.push_config(2, f("c2"));
  auto b = q.take();
  EXPECT_EQ(texts(b), (std::vector<std::string>{"c1", "goaway replaced"}));
  EXPECT_TRUE(b.closed);
  EXPECT_TRUE(q.is_closed());
}

TEST(EventQueue, NotifiesOnEveryPush) {
  EventQueue q("", 4, f("overflow"));
  int calls = 0;
  q.set_notify([&] { ++calls; });
  q.push_config(1, f("c1"));
  q.push(f("e"));
  q.push_config(1, f("dup"));  // dropped: no notify
  q.close(nullptr);
  EXPECT_EQ(calls, 3);
  q.set_notify(nullptr);
}

}  // namespace
}  // namespace henge::push
