#include "core/json_policy.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::core {
namespace {

namespace json = boost::json;

std::string nested(std::size_t depth, const std::string& leaf = "1") {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += leaf;
  for (std::size_t i = 0; i < depth; ++i) s += "}";
  return s;
}

TEST(JsonPolicy, ParsesOrdinaryJsonAsBoostDoes) {
  const std::string text = R"({"a":[1,-2,3.5,"x",true,null,{"b":18446744073709551615}],"c":-9223372036854775808})";
  auto v = parse_json(text);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, json::parse(text));
  EXPECT_TRUE(v->at("a").at(6).at("b").is_uint64());
  EXPECT_TRUE(v->at("c").is_int64());
}

TEST(JsonPolicy, RefusesNumbersThatOverflowToInfinityNamingWhere) {
  for (const char* text :
       {R"({"reported":{"x":1e400}})", R"({"reported":{"x":-1e400}})", R"({"reported":{"x":1E99999}})"}) {
    auto v = parse_json(text);
    ASSERT_FALSE(v) << text;
    EXPECT_EQ(v.error().code, Errc::invalid);
    ASSERT_EQ(v.error().details.size(), 1U);
    EXPECT_EQ(v.error().details[0].path, "/reported/x") << text;
    EXPECT_NE(v.error().message.find("out of range"), std::string::npos) << v.error().message;
  }
}

TEST(JsonPolicy, KeepsDoublesWrittenWithFractionOrExponent) {
  auto v = parse_json(R"([1e300, 123456789012345678901.5, 1e19, 0.1])");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->at(0).is_double());
  EXPECT_TRUE(v->at(2).is_double());
}

TEST(JsonPolicy, RefusesIntegersOutsideSixtyFourBitsRatherThanRoundThem) {
  for (const char* text :
       {"[0, 18446744073709551616]", "[0, -9223372036854775809]", "[0, 123456789012345678901234567890]"}) {
    auto v = parse_json(text);
    ASSERT_FALSE(v) << text;
    EXPECT_EQ(v.error().details.at(0).path, "/1") << text;
    EXPECT_NE(v.error().message.find("64-bit range"), std::string::npos) << v.error().message;
  }
}

TEST(JsonPolicy, NamesTheIndexInsideArraysAfterContainers) {
  auto v = parse_json(R"({"list":[{"a":1},[2],"s",1e999]})");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().details.at(0).path, "/list/3");
}

TEST(JsonPolicy, EscapesKeysInThePointer) {
  auto v = parse_json(R"({"a/b":{"c~d":1e999}})");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().details.at(0).path, "/a~1b/c~0d");
}

TEST(JsonPolicy, DepthIsCountedInContainersUpToTheLimit) {
  EXPECT_TRUE(parse_json(nested(kMaxDepth)));
  auto v = parse_json(nested(kMaxDepth + 1));
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("deeper than 32"), std::string::npos) << v.error().message;
  EXPECT_EQ(v.error().details.at(0).path.size(), 2 * kMaxDepth);  // "/a" for each level inside
  EXPECT_TRUE(parse_json(nested(kMaxDepth + 1), "the row", kMaxEnvelopeDepth));
}

TEST(JsonPolicy, RefusesWhatIsNotJson) {
  for (const char* text : {"", "{", "[1,]", "Infinity", "NaN", "{\"a\":1} x", "'a'"}) {
    auto v = parse_json(text);
    ASSERT_FALSE(v) << text;
    EXPECT_EQ(v.error().code, Errc::invalid);
  }
}

TEST(JsonPolicy, CheckJsonFindsDepthAnEditBuilt) {
  json::value doc = json::object{};
  json::value* at = &doc;
  for (int i = 0; i < 40; ++i) {
    at->as_object()["k"] = json::object{};
    at = &at->as_object()["k"];
  }
  auto s = check_json(doc, "the config");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid);
  EXPECT_EQ(s.error().message.rfind("the config: nested deeper than 32", 0), 0U) << s.error().message;
  EXPECT_TRUE(check_json(doc, "the row", kMaxEnvelopeDepth));
}

TEST(JsonPolicy, CheckJsonFindsNonFiniteNumbers) {
  json::value doc = json::parse(R"({"a":[1,2,{"b":0}]})");
  EXPECT_TRUE(check_json(doc, "the config"));
  doc.at("a").at(2).at("b") = std::numeric_limits<double>::infinity();
  auto s = check_json(doc, "the config");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().details.at(0).path, "/a/2/b");
  doc.at("a").at(2).at("b") = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(check_json(doc, "the config"));
}

TEST(JsonPolicy, ADocumentFarTooDeepIsReportedAtTheLimit) {
  json::value doc = json::array{};
  json::value* at = &doc;
  for (int i = 0; i < 5000; ++i) {
    at->as_array().push_back(json::array{});
    at = &at->as_array().back();
  }
  auto s = check_json(doc, "the config");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().details.at(0).path, "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0");
}

TEST(JsonPolicy, Utf8IsCheckedByTheRfc) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xC3", "\xE2\x82",
                          "a\x80"
                          "b",
                          "\xF8\x88\x80\x80\x80"}) {
    EXPECT_FALSE(valid_utf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
}

TEST(JsonPolicy, CheckJsonFindsKeysAndStringsThatAreNotUtf8) {
  json::object doc;
  doc["ok"] = json::object{{std::string("p\xD0\x8F\xFF"), 1}};
  auto s = check_json(doc, "the config");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("a key is not UTF-8"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().details.at(0).path, "/ok");
  json::value str = json::array{"fine", std::string("\xC0\xAF")};
  s = check_json(str, "the config");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().details.at(0).path, "/1");
}

TEST(JsonPolicy, Utf8PrefixNeverCutsACharacter) {
  const std::string text = "ab\xE2\x82\xAC";  // "ab€"
  EXPECT_EQ(utf8_prefix(text, 10), text);
  EXPECT_EQ(utf8_prefix(text, 5), text);
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 3), "ab");
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 0), "");
}

TEST(JsonPolicy, Utf8LossyReplacesOnlyWhatIsNotUtf8) {
  EXPECT_EQ(utf8_lossy("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(utf8_lossy("a\xFF\xC3\xA9\xC0"
                       "b"),
            "a\xEF\xBF\xBD\xC3\xA9\xEF\xBF\xBD"
            "b");
  EXPECT_TRUE(valid_utf8(utf8_lossy("\xE2\x82")));
}

}  // namespace
}  // namespace henge::core
