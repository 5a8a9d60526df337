#include "agent/applier.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "files/test_dir.hpp"

namespace henge::agent {
namespace {

ConfigDocument doc_of(std::int64_t revision, const std::string& config) {
  auto doc = parse_config_document(R"({"revision":)" + std::to_string(revision) + R"(,"schema":null,"sha256":")" +
                                   core::sha256_hex(config) + R"(","config":)" + config + "}");
  EXPECT_TRUE(doc.ok());
  return *doc;
}

TEST(Applier, WritesTheConfigRunsTheApplyCommandAndListsChanges) {
  files::TestDir dir;
  Applier applier(ApplierSettings{dir.file("out.json"), "", "echo \"$HENGE_REVISION\" > " + dir.file("applied"),
                                  std::chrono::seconds(10)},
                  nullptr);
  auto first = applier.apply(doc_of(1, R"({"a":1,"b":2})"));
  EXPECT_TRUE(first.ack.applied) << first.ack.error;
  EXPECT_TRUE(first.committed);
  EXPECT_EQ(first.changed, (std::vector<std::string>{"/a", "/b"}));
  auto second = applier.apply(doc_of(2, R"({"a":1,"b":3})"));
  EXPECT_TRUE(second.ack.applied);
  EXPECT_EQ(second.changed, std::vector<std::string>{"/b"});
  EXPECT_EQ(*files::read_file(dir.file("out.json"), 100), R"({"a":1,"b":3})");
  EXPECT_EQ(*files::read_file(dir.file("applied"), 100), "2\n");
}

TEST(Applier, AFailedVerifyRejectsAndLeavesTheFileUntouched) {
  files::TestDir dir;
  ASSERT_TRUE(files::write_file_atomically(dir.file("out.json"), R"({"old":true})").ok());
  Applier applier(
      ApplierSettings{dir.file("out.json"), "grep -q good \"$HENGE_CONFIG_PATH\" || { echo no good; exit 4; }", "",
                      std::chrono::seconds(10)},
      nullptr);
  auto report = applier.apply(doc_of(7, R"({"bad":1})"));
  EXPECT_FALSE(report.ack.applied);
  EXPECT_FALSE(report.committed);
  EXPECT_EQ(report.ack.revision, 7);
  EXPECT_EQ(report.ack.error, "verify command failed: exit 4: no good");
  EXPECT_EQ(*files::read_file(dir.file("out.json"), 100), R"({"old":true})");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.json"});

  auto good = applier.apply(doc_of(8, R"({"good":1})"));
  EXPECT_TRUE(good.ack.applied) << good.ack.error;
}

TEST(Applier, AFailedApplyCommandRejectsButTheFileIsInPlace) {
  files::TestDir dir;
  Applier applier(ApplierSettings{dir.file("out.json"), "", "exit 9", std::chrono::seconds(10)}, nullptr);
  auto report = applier.apply(doc_of(3, R"({"a":1})"));
  EXPECT_FALSE(report.ack.applied);
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.ack.error, "apply command failed: exit 9");
  EXPECT_EQ(*files::read_file(dir.file("out.json"), 100), R"({"a":1})");
}

}  // namespace
}  // namespace henge::agent
