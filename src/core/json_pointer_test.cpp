#include "core/json_pointer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::core {
namespace {
namespace json = boost::json;

// The document of RFC 6901 §5.
const char* const kRfcDoc = R"({"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,
  "i\\j":5,"k\"l":6," ":7,"m~n":8})";

TEST(JsonPointer, ResolvesEveryRfc6901Example) {
  const auto doc = json::parse(kRfcDoc);
  const std::pair<const char*, json::value> cases[] = {
      {"", doc},         {"/foo", json::parse(R"(["bar","baz"])")},
      {"/foo/0", "bar"}, {"/", 0},
      {"/a~1b", 1},      {"/c%d", 2},
      {"/e^f", 3},       {"/g|h", 4},
      {"/i\\j", 5},      {"/k\"l", 6},
      {"/ ", 7},         {"/m~0n", 8},
  };
  for (const auto& [text, expected] : cases) {
    auto ptr = JsonPointer::parse(text);
    ASSERT_TRUE(ptr.ok()) << text;
    const auto* found = find(doc, *ptr);
    ASSERT_NE(found, nullptr) << text;
    EXPECT_EQ(*found, expected) << text;
    EXPECT_EQ(ptr->str(), text);
  }
}

TEST(JsonPointer, RejectsMalformedText) {
  for (const char* bad : {"foo", "/a~", "/a~2", "~0"}) {
    auto r = JsonPointer::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid);
  }
}

TEST(JsonPointer, FindReturnsNullForMissingOrBadIndex) {
  const auto doc = json::parse(R"({"a":[1,2],"s":"x"})");
  for (const char* p : {"/b", "/a/2", "/a/01", "/a/-", "/a/x", "/s/0"}) {
    EXPECT_EQ(find(doc, *JsonPointer::parse(p)), nullptr) << p;
  }
}

TEST(JsonPointer, SetCreatesParentObjects) {
  json::value doc = json::object{};
  ASSERT_TRUE(set_at(doc, *JsonPointer::parse("/led/brightness"), 40).ok());
  EXPECT_EQ(doc, json::parse(R"({"led":{"brightness":40}})"));
}

TEST(JsonPointer, SetReplacesAndAppendsArrayElements) {
  json::value doc = json::parse(R"({"a":[1,2]})");
  ASSERT_TRUE(set_at(doc, *JsonPointer::parse("/a/0"), 9).ok());
  ASSERT_TRUE(set_at(doc, *JsonPointer::parse("/a/-"), 3).ok());
  EXPECT_EQ(doc, json::parse(R"({"a":[9,2,3]})"));
  EXPECT_EQ(set_at(doc, *JsonPointer::parse("/a/7"), 1).error().code, Errc::invalid);
}

TEST(JsonPointer, SetBelowScalarIsInvalid) {
  json::value doc = json::parse(R"({"a":1})");
  auto r = set_at(doc, *JsonPointer::parse("/a/b"), 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(doc, json::parse(R"({"a":1})"));
}

TEST(JsonPointer, RemoveDeletesMembersAndElements) {
  json::value doc = json::parse(R"({"a":{"b":1,"c":2},"d":[1,2,3]})");
  ASSERT_TRUE(remove_at(doc, *JsonPointer::parse("/a/b")).ok());
  ASSERT_TRUE(remove_at(doc, *JsonPointer::parse("/d/1")).ok());
  EXPECT_EQ(doc, json::parse(R"({"a":{"c":2},"d":[1,3]})"));
  EXPECT_EQ(remove_at(doc, *JsonPointer::parse("/zz")).error().code, Errc::not_found);
  EXPECT_EQ(remove_at(doc, JsonPointer{}).error().code, Errc::invalid);
}

TEST(JsonPointer, PrefixIsTokenWise) {
  EXPECT_TRUE(JsonPointer::parse("/a")->is_prefix_of(*JsonPointer::parse("/a/b")));
  EXPECT_FALSE(JsonPointer::parse("/a")->is_prefix_of(*JsonPointer::parse("/ab")));
  EXPECT_TRUE(JsonPointer{}.is_prefix_of(*JsonPointer::parse("/x")));
}

TEST(JsonPointer, RefusesTokensThatAreNotUtf8) {
  // A pointer from a URL's percent-encoding can be any bytes; its tokens become keys.
  auto p = JsonPointer::parse("/a/\xD0\x8F\xFF/b");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::invalid);
  EXPECT_TRUE(JsonPointer::parse("/caf\xC3\xA9"));
}

}  // namespace
}  // namespace henge::core
