#include "push/hub.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>

#include "push/fleet_events.hpp"
#include "push/frames.hpp"
#include "push/presence.hpp"
#include "store/memory/memory_store.hpp"

namespace henge::push {
namespace {

using namespace std::chrono_literals;

// Waits (with a deadline) until the queue has something, then takes it.
EventQueue::Batch next(EventQueue& q) {
  std::mutex mu;
  std::condition_variable cv;
  q.set_notify([&] {
    std::lock_guard lock(mu);
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 5s, [&] { return q.ready(); });
  }
  q.set_notify(nullptr);
  return q.take();
}

store::ChangeEvent change(core::Revision rev, const std::vector<std::string>& devices) {
  store::ChangeEvent e{rev, {}};
  for (const auto& d : devices) {
    e.changes.push_back({d, core::Desired{rev, boost::json::object{{"n", rev}}, "sha-" + std::to_string(rev), "s@1"}});
  }
  return e;
}

TEST(Hub, NewStreamStartsWithRetry) {
  Hub hub(1500ms);
  auto q = hub.attach("a");
  auto b = q->take();
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(*b.frames[0], "retry: 1500\n\n");
}

TEST(Hub, PublishReachesOnlyTheDevicesThatChanged) {
  Hub hub;
  auto a = hub.attach("a");
  auto b = hub.attach("b");
  (void)a->take();
  (void)b->take();
  hub.publish(change(3, {"a", "c"}));
  auto got = next(*a);
  ASSERT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(*got.frames[0], config_frame(core::Desired{3, boost::json::object{{"n", 3}}, "sha-3", "s@1"}));
  hub.publish(change(4, {"b"}));
  EXPECT_EQ(next(*b).frames.size(), 1u);
  EXPECT_FALSE(a->ready()) << "a did not change at revision 4";
}

TEST(Hub, AChangeToThousandsOfDevicesReachesEachOnceWhenSplitOverThreads) {
  Hub hub;
  std::mutex mu;
  std::condition_variable cv;
  bool dispatched = false;
  hub.set_after_dispatch([&](const store::ChangeEvent&) {
    std::lock_guard lock(mu);
    dispatched = true;
    cv.notify_all();
  });
  // Enough devices for the hub to split the dispatch, and a count no split divides evenly.
  constexpr int kDevices = 5003;
  std::vector<std::string> ids;
  std::vector<std::shared_ptr<EventQueue>> queues;
  for (int i = 0; i < kDevices; ++i) {
    ids.push_back("d" + std::to_string(i));
    queues.push_back(hub.attach(ids.back()));
    (void)queues.back()->take();
  }
  hub.publish(change(7, ids));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return dispatched; }));
  }
  const auto frame = config_frame(core::Desired{7, boost::json::object{{"n", 7}}, "sha-7", "s@1"});
  for (int i = 0; i < kDevices; ++i) {
    auto got = queues[static_cast<std::size_t>(i)]->take();
    ASSERT_EQ(got.frames.size(), 1u) << ids[static_cast<std::size_t>(i)];
    EXPECT_EQ(*got.frames[0], frame);
  }
}

TEST(Hub, ASecondStreamReplacesTheFirst) {
  Hub hub;
  auto first = hub.attach("a");
  (void)first->take();
  auto second = hub.attach("a");
  auto b = first->take();
  ASSERT_TRUE(b.closed);
  EXPECT_EQ(*b.frames.back(), goaway_frame("replaced"));
  EXPECT_FALSE(hub.detach("a", first.get())) << "the first is no longer the device's stream";
  EXPECT_EQ(hub.streams(), 1u);
  EXPECT_TRUE(hub.detach("a", second.get()));
  EXPECT_EQ(hub.streams(), 0u);
}

TEST(Hub, CloseSendsGoawayWithTheReason) {
  Hub hub;
  auto q = hub.attach("a");
  (void)q->take();
  hub.close("a", "deleted");
  auto b = q->take();
  ASSERT_TRUE(b.closed);
  EXPECT_EQ(*b.frames.back(), goaway_frame("deleted"));
  hub.close("nobody", "deleted");  // no stream: nothing happens
}

TEST(Hub, AfterDispatchSeesEveryEventInOrder) {
  Hub hub;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<core::Revision> seen;
  hub.set_after_dispatch([&](const store::ChangeEvent& e) {
    std::lock_guard lock(mu);
    seen.push_back(e.revision);
    cv.notify_all();
  });
  for (core::Revision r = 1; r <= 50; ++r) hub.publish(change(r, {"x"}));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return seen.size() == 50; }));
  for (core::Revision r = 1; r <= 50; ++r) EXPECT_EQ(seen[r - 1], r);
}

TEST(Hub, DrainClosesEveryStreamWithinThePeriodAndRefusesNewOnes) {
  Hub hub;
  std::vector<std::shared_ptr<EventQueue>> queues;
  queues.reserve(20);
  for (int i = 0; i < 20; ++i) queues.push_back(hub.attach("d" + std::to_string(i)));
  const auto start = std::chrono::steady_clock::now();
  hub.drain(200ms);
  for (auto& q : queues) {
    auto b = next(*q);
    while (!b.closed) b = next(*q);
    EXPECT_EQ(*b.frames.back(), goaway_frame("shutdown"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  auto late = hub.attach("late");
  EXPECT_TRUE(late->is_closed());
}

TEST(FleetEvents, SubscribersGetNewEventsAndResumeAfterAnId) {
  FleetEvents fleet(3);
  auto live = fleet.subscribe(std::nullopt);
  (void)live->take();  // the retry preamble
  fleet.emit("device_connected", {{"device", "a"}});
  fleet.emit("ack", {{"device", "a"}});
  auto b = live->take();
  ASSERT_EQ(b.frames.size(), 2u);
  EXPECT_NE(b.frames[0]->find("event: device_connected\nid: "), std::string::npos);
  const auto id_pos = b.frames[0]->find("id: ") + 4;
  const auto first_id = std::stoull(b.frames[0]->substr(id_pos));
  fleet.emit("report", {{"device", "a"}});
  auto resumed = fleet.subscribe(first_id);
  auto r = resumed->take();
  ASSERT_EQ(r.frames.size(), 3u);  // preamble, then the two after first_id
  EXPECT_NE(r.frames[1]->find("event: ack"), std::string::npos);
  EXPECT_NE(r.frames[2]->find("event: report"), std::string::npos);
  fleet.close_all("shutdown");
  EXPECT_TRUE(live->take().closed);
  EXPECT_TRUE(fleet.subscribe(std::nullopt)->is_closed());
}

}  // namespace
}  // namespace henge::push

namespace henge::push {
namespace {

TEST(Presence, HubAttachAndDetachReachTheStoreInOrder) {
  auto store = store::make_memory_store();
  ASSERT_TRUE(store
                  ->write([](store::WriteTx& tx) -> core::Status {
                    core::Device d;
                    d.id = "a";
                    tx.insert_device(d);
                    return {};
                  })
                  .ok());
  core::TimeMs clock = 1000;
  Presence presence(
      *store, [&] { return clock; }, std::chrono::milliseconds(5));
  Hub hub(std::chrono::milliseconds(2000), &presence);
  auto state = [&] {
    core::DeviceState s;
    EXPECT_TRUE(store
                    ->read([&](store::ReadTx& tx) -> core::Status {
                      s = tx.device("a")->state;
                      return {};
                    })
                    .ok());
    return s;
  };
  auto first = hub.attach("a");
  auto second = hub.attach("a");
  EXPECT_FALSE(hub.detach("a", first.get())) << "a replaced stream's close is not a disconnect";
  presence.flush();
  EXPECT_TRUE(state().connected);
  EXPECT_EQ(state().last_seen, 1000);
  clock = 2000;
  EXPECT_TRUE(hub.detach("a", second.get()));
  presence.flush();
  EXPECT_FALSE(state().connected);
  EXPECT_EQ(state().last_seen, 2000);
  hub.attach("ghost");  // a device the store does not have is skipped
  presence.flush();
}

}  // namespace
}  // namespace henge::push
