#include "core/json_diff.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::core {
namespace {

TEST(JsonDiff, ListsAddedRemovedAndChangedLeaves) {
  const auto before = boost::json::parse(R"({"a":1,"b":{"c":2,"d":3},"e/f":true,"gone":1})");
  const auto after = boost::json::parse(R"({"a":1,"b":{"c":5,"d":3},"e/f":false,"new":{"x":1}})");
  EXPECT_EQ(changed_paths(before, after), (std::vector<std::string>{"/b/c", "/e~1f", "/gone", "/new"}));
  EXPECT_TRUE(changed_paths(after, after).empty());
}

TEST(JsonDiff, ANonObjectRootIsOneChange) {
  EXPECT_EQ(changed_paths(boost::json::value(1), boost::json::value(2)), std::vector<std::string>{""});
  EXPECT_EQ(changed_paths(boost::json::parse(R"({"a":[1,2]})"), boost::json::parse(R"({"a":[1,3]})")),
            std::vector<std::string>{"/a"});
}

}  // namespace
}  // namespace henge::core
