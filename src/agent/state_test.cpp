#include "agent/state.hpp"

#include <gtest/gtest.h>

#include "files/atomic_file.hpp"
#include "files/test_dir.hpp"

namespace henge::agent {
namespace {

TEST(AgentState, AbsentIsEmptyAndWhatIsSavedLoads) {
  files::TestDir dir;
  auto empty = load_state(dir.path());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->revision, 0);
  EXPECT_FALSE(empty->unsent_ack.has_value());

  AgentState state{42, "abc", Ack{43, false, "verify command failed: exit 1", false},
                   Ack{42, false, "apply command failed: timed out", true}};
  ASSERT_TRUE(save_state(dir.path(), state).ok());
  auto loaded = load_state(dir.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->revision, 42);
  EXPECT_EQ(loaded->sha256, "abc");
  ASSERT_TRUE(loaded->unsent_ack.has_value());
  EXPECT_EQ(loaded->unsent_ack->revision, 43);
  EXPECT_FALSE(loaded->unsent_ack->applied);
  EXPECT_EQ(loaded->unsent_ack->error, "verify command failed: exit 1");
  ASSERT_TRUE(loaded->last_ack.has_value());
  EXPECT_EQ(loaded->last_ack->revision, 42);
  EXPECT_FALSE(loaded->last_ack->applied);
  EXPECT_TRUE(loaded->last_ack->retry);
}

TEST(AgentState, AFileHoldingRawCommandOutputStillLoads) {
  // Older versions kept a command's output as it came, bytes that are not UTF-8 included.
  files::TestDir dir;
  ASSERT_TRUE(files::write_file_atomically(dir.file("state.json"),
                                           "{\"revision\":7,\"sha256\":\"ab\",\"last_ack\":{\"revision\":7,"
                                           "\"applied\":false,\"error\":\"exit 1: \xff\"}}")
                  .ok());
  auto loaded = load_state(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->last_ack.has_value());
  EXPECT_EQ(loaded->last_ack->error, "exit 1: \xff");
  EXPECT_FALSE(loaded->last_ack->retry);
}

TEST(AgentState, ADamagedFileIsAnErrorNotAFreshStart) {
  files::TestDir dir;
  ASSERT_TRUE(files::write_file_atomically(dir.file("state.json"), "{\"revision\":\"x\"}").ok());
  auto loaded = load_state(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("damaged"), std::string::npos);
}

}  // namespace
}  // namespace henge::agent
