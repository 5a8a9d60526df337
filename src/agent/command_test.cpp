#include "agent/command.hpp"

#include <gtest/gtest.h>

namespace henge::agent {
namespace {

using std::chrono::milliseconds;

TEST(Command, PassesTheEnvironmentAndKeepsOutput) {
  auto run = run_command("echo \"rev=$HENGE_REVISION\"; echo oops >&2", {{"HENGE_REVISION", "42"}}, milliseconds(5000));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->success);
  EXPECT_EQ(run->status, "exit 0");
  EXPECT_EQ(run->output, "rev=42\noops");
}

TEST(Command, ReportsAFailingExit) {
  auto run = run_command("echo bad config; exit 3", {}, milliseconds(5000));
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->success);
  EXPECT_EQ(run->status, "exit 3");
  EXPECT_EQ(run->output, "bad config");
}

TEST(Command, KillsACommandPastItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto run = run_command("sleep 30", {}, milliseconds(200));
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->success);
  EXPECT_EQ(run->status, "timed out after 200 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Command, KeepsOnlyTheTailOfLongOutput) {
  auto run = run_command("head -c 100000 /dev/zero | tr '\\0' x; echo END", {}, milliseconds(5000));
  ASSERT_TRUE(run.ok());
  EXPECT_LE(run->output.size(), 2048u);
  EXPECT_TRUE(run->output.ends_with("xEND"));
}

}  // namespace
}  // namespace henge::agent
