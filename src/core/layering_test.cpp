#include "core/layering.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::core {
namespace {
namespace json = boost::json;
using Sources = std::map<std::string, std::string>;

TEST(Layering, LaterLayersWinAndSourcesNameThem) {
  const auto defaults = json::parse(R"({"led":{"on":false,"brightness":10},"name":"x"})");
  const auto group = json::parse(R"({"led":{"brightness":50}})");
  const auto device = json::parse(R"({"led":{"on":true}})");
  const auto eff = compose({{"default", &defaults}, {"group:lab", &group}, {"device", &device}});
  EXPECT_EQ(eff.config, json::parse(R"({"led":{"on":true,"brightness":50},"name":"x"})"));
  EXPECT_EQ(eff.sources, (Sources{{"/led/on", "device"}, {"/led/brightness", "group:lab"}, {"/name", "default"}}));
}

TEST(Layering, NullRemovesAndDropsSources) {
  const auto defaults = json::parse(R"({"a":{"b":1,"c":2},"d":3})");
  const auto device = json::parse(R"({"a":null})");
  const auto eff = compose({{"default", &defaults}, {"device", &device}});
  EXPECT_EQ(eff.config, json::parse(R"({"d":3})"));
  EXPECT_EQ(eff.sources, (Sources{{"/d", "default"}}));
}

TEST(Layering, ReplacingASubtreeTakesOverItsSources) {
  const auto defaults = json::parse(R"({"a":{"b":1,"c":2}})");
  const auto group = json::parse(R"({"a":[1,2]})");
  const auto device = json::parse(R"({"a":{"z":true}})");
  auto eff = compose({{"default", &defaults}, {"group:g", &group}});
  EXPECT_EQ(eff.sources, (Sources{{"/a", "group:g"}}));
  eff = compose({{"default", &defaults}, {"group:g", &group}, {"device", &device}});
  EXPECT_EQ(eff.config, json::parse(R"({"a":{"z":true}})"));
  EXPECT_EQ(eff.sources, (Sources{{"/a/z", "device"}}));
}

TEST(Layering, SourcesEscapePointerTokens) {
  const auto device = json::parse(R"({"a/b":{"c~d":1}})");
  const auto eff = compose({{"device", &device}});
  EXPECT_EQ(eff.sources, (Sources{{"/a~1b/c~0d", "device"}}));
}

TEST(Layering, SiblingPrefixIsNotASubtree) {
  const auto defaults = json::parse(R"({"a":1,"ab":2})");
  const auto device = json::parse(R"({"a":null})");
  const auto eff = compose({{"default", &defaults}, {"device", &device}});
  EXPECT_EQ(eff.sources, (Sources{{"/ab", "default"}}));
}

TEST(Layering, EmptyObjectIsALeaf) {
  const auto device = json::parse(R"({"a":{}})");
  const auto eff = compose({{"device", &device}});
  EXPECT_EQ(eff.sources, (Sources{{"/a", "device"}}));
}

TEST(Layering, NonObjectLayersAreSkipped) {
  const json::value scalar = 5;
  const json::value null;
  const auto eff = compose({{"default", &null}, {"device", &scalar}, {"x", nullptr}});
  EXPECT_EQ(eff.config, json::object{});
  EXPECT_TRUE(eff.sources.empty());
}

TEST(SchemaDefaults, CollectsNestedPropertyDefaults) {
  const auto schema = json::parse(R"({
    "type":"object",
    "properties":{
      "led":{"type":"object","properties":{"on":{"type":"boolean","default":false},
                                            "brightness":{"type":"integer"}}},
      "name":{"type":"string","default":"pi"},
      "tags":{"type":"array","default":["a"]}
    }})");
  EXPECT_EQ(schema_defaults(schema), json::parse(R"({"led":{"on":false},"name":"pi","tags":["a"]})"));
}

TEST(SchemaDefaults, ObjectDefaultIsMergedOverPropertyDefaults) {
  const auto schema = json::parse(R"({"properties":{"a":{"default":1},"b":{"default":2}},"default":{"b":3}})");
  EXPECT_EQ(schema_defaults(schema), json::parse(R"({"a":1,"b":3})"));
}

TEST(SchemaDefaults, NoneDeclaredIsNull) {
  EXPECT_TRUE(schema_defaults(json::parse(R"({"type":"object"})")).is_null());
}

}  // namespace
}  // namespace henge::core
