#include "cli/output.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

namespace henge::cli {
namespace {

TEST(Output, TablesAlignColumnsToTheWidestCell) {
  Table table({"ID", "STATUS"});
  table.add({"pi-kitchen", "in_sync"});
  table.add({"pi-1", "failed"});
  std::ostringstream out;
  table.print(out);
  EXPECT_EQ(out.str(), "ID          STATUS\npi-kitchen  in_sync\npi-1        failed\n");
}

TEST(Output, PrettyJsonIndentsAndRoundTrips) {
  const auto value = boost::json::parse(R"({"a":[1,{"b":null}],"c":{},"d":"x"})");
  const auto text = pretty_json(value);
  EXPECT_EQ(text, "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": \"x\"\n}");
  EXPECT_EQ(boost::json::parse(text), value);
}

TEST(Output, CellsShowStringsBareAndNullAsDash) {
  const auto value = boost::json::parse(R"({"s":"text","n":null,"i":3,"o":{"k":1}})");
  EXPECT_EQ(field(value, "s"), "text");
  EXPECT_EQ(field(value, "n"), "-");
  EXPECT_EQ(field(value, "missing"), "-");
  EXPECT_EQ(field(value, "i"), "3");
  EXPECT_EQ(field(value, "o"), "{\"k\":1}");
}

}  // namespace
}  // namespace henge::cli
