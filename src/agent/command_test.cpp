#include "agent/command.hpp"

#include <gtest/gtest.h>

#include <atomic>

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

TEST(Command, IsDoneWhenTheShellExitsThoughADaemonItStartedHoldsItsOutput) {
  const auto start = std::chrono::steady_clock::now();
  auto run = run_command("sleep 30 & echo started", {}, milliseconds(20000));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->success);
  EXPECT_EQ(run->output, "started");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Command, StopsWhenCancelled) {
  std::atomic<bool> cancel{true};
  auto run = run_command("sleep 30", {}, milliseconds(60000), &cancel);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->interrupted);
  EXPECT_FALSE(run->success);
  EXPECT_FALSE(run->timed_out);
}

TEST(Command, InheritsNoDescriptorButItsOutputAndDefaultSignals) {
  // The agent ignores SIGPIPE; a hook's pipeline must not (yes would never end).
  auto run =
      run_command("ls /proc/self/fd | tr '\\n' ' '; yes | head -c 1 >/dev/null; echo piped", {}, milliseconds(5000));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->success) << run->status;
  // 0, 1, 2 and the descriptor ls opens to read the directory; nothing of the agent's.
  EXPECT_EQ(run->output, "0 1 2 3 piped");
}

}  // namespace
}  // namespace henge::agent
