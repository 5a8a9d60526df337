#include "cli/assignment.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::cli {
namespace {

TEST(Assignment, ValueIsJsonWhenItParsesElseAString) {
  EXPECT_EQ(parse_assignment("led.on=true")->value, true);
  EXPECT_EQ(parse_assignment("n=42")->value, 42);
  EXPECT_EQ(parse_assignment("s=\"42\"")->value, "42");
  EXPECT_EQ(parse_assignment("name=kitchen")->value, "kitchen");
  EXPECT_EQ(parse_assignment("list=[1,2]")->value, boost::json::parse("[1,2]"));
  EXPECT_EQ(parse_assignment("empty=")->value, "");
  EXPECT_EQ(parse_assignment("eq=a=b")->value, "a=b");  // only the first '=' splits
}

TEST(Assignment, KeysAreDottedPathsOrJsonPointers) {
  EXPECT_EQ(parse_assignment("led.on=1")->pointer, "/led/on");
  EXPECT_EQ(parse_assignment("/led/on=1")->pointer, "/led/on");
  EXPECT_EQ(parse_assignment("/a.b/c~1d=1")->pointer, "/a.b/c~1d");
  EXPECT_EQ(parse_assignment("a/b=1")->pointer, "/a~1b");
}

TEST(Assignment, RejectsWhatIsNotKeyEqualsValue) {
  for (const char* bad : {"novalue", "=1", "a..b=1", ".a=1", "a.=1", "/a~2=1"}) {
    auto parsed = parse_assignment(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
}

}  // namespace
}  // namespace henge::cli
