#include "files/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "files/test_dir.hpp"

namespace henge::files {
namespace {

TEST(AtomicFile, WritesANewFileAndReplacesAnOldOne) {
  TestDir dir;
  const auto target = dir.file("config.json");
  ASSERT_TRUE(write_file_atomically(target, "{\"a\":1}").ok());
  EXPECT_EQ(*read_file(target, 100), "{\"a\":1}");
  ASSERT_TRUE(write_file_atomically(target, "{\"a\":2}").ok());
  EXPECT_EQ(*read_file(target, 100), "{\"a\":2}");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"config.json"});  // no temporary left behind
}

TEST(AtomicFile, AStagedFileNotCommittedLeavesTheTargetAndIsDeleted) {
  TestDir dir;
  const auto target = dir.file("config.json");
  ASSERT_TRUE(write_file_atomically(target, "old").ok());
  {
    auto staged = stage_file(target, "new");
    ASSERT_TRUE(staged.ok());
    EXPECT_EQ(*read_file(staged->path(), 100), "new");
    EXPECT_EQ(dir.names().size(), 2u);
  }
  EXPECT_EQ(*read_file(target, 100), "old");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"config.json"});
}

TEST(AtomicFile, KeepsTheTargetsPermissions) {
  TestDir dir;
  const auto target = dir.file("secret.json");
  ASSERT_TRUE(write_file_atomically(target, "one").ok());
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  ASSERT_TRUE(write_file_atomically(target, "two").ok());
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtomicFile, TheProbeSeesEachPointInOrder) {
  TestDir dir;
  std::vector<std::string> seen;
  const FaultProbe probe = [&seen](std::string_view point) { seen.emplace_back(point); };
  auto staged = stage_file(dir.file("c.json"), "0123456789", &probe);
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"half_written", "staged"}));
}

TEST(AtomicFile, RemovesOnlyItsOwnStaleTemporaries) {
  TestDir dir;
  const auto target = dir.file("c.json");
  ASSERT_TRUE(write_file_atomically(dir.file(".c.json.henge-tmp-abc"), "x").ok());
  ASSERT_TRUE(write_file_atomically(dir.file("other.json"), "y").ok());
  remove_stale_temporaries(target);
  EXPECT_EQ(dir.names(), std::vector<std::string>{"other.json"});
}

TEST(AtomicFile, ReportsAMissingDirectoryAndAMissingFile) {
  TestDir dir;
  EXPECT_FALSE(write_file_atomically(dir.file("no/such/dir/c.json"), "x").ok());
  auto missing = read_file(dir.file("absent"), 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Errc::not_found);
  ASSERT_TRUE(write_file_atomically(dir.file("big"), "0123456789").ok());
  EXPECT_EQ(read_file(dir.file("big"), 5).error().code, core::Errc::too_large);
}

}  // namespace
}  // namespace henge::files
