#include "core/merge_patch.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::core {
namespace {
namespace json = boost::json;

struct Example {
  const char* target;
  const char* patch;
  const char* result;
};

// Every example of RFC 7386 Appendix A.
const Example kRfcExamples[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

TEST(MergePatch, AppliesEveryRfc7386Example) {
  for (const auto& ex : kRfcExamples) {
    const auto got = apply_merge_patch(json::parse(ex.target), json::parse(ex.patch));
    EXPECT_EQ(got, json::parse(ex.result)) << ex.target << " + " << ex.patch;
  }
}

TEST(MergePatch, DiffRoundTripsBetweenObjects) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({})", R"({})"},
      {R"({"a":1})", R"({"a":2})"},
      {R"({"a":1,"b":{"c":true,"d":[1,2]}})", R"({"b":{"c":false},"e":"x"})"},
      {R"({"a":{"b":{"c":1}}})", R"({"a":5})"},
      {R"({"a":5})", R"({"a":{"b":{"c":1}}})"},
  };
  for (const auto& [from, to] : cases) {
    const auto a = json::parse(from);
    const auto b = json::parse(to);
    const auto patch = merge_diff(a, b);
    EXPECT_EQ(apply_merge_patch(a, patch), b) << from << " -> " << to << " via " << json::serialize(patch);
  }
}

TEST(MergePatch, DiffOfEqualDocumentsIsEmptyObject) {
  const auto a = json::parse(R"({"a":{"b":[1,2,3]},"c":"d"})");
  EXPECT_EQ(merge_diff(a, a), json::object{});
}

TEST(MergePatch, DiffNamesOnlyWhatChanged) {
  const auto patch =
      merge_diff(json::parse(R"({"a":1,"b":{"c":1,"d":2},"gone":true})"), json::parse(R"({"a":1,"b":{"c":1,"d":3}})"));
  EXPECT_EQ(patch, json::parse(R"({"gone":null,"b":{"d":3}})"));
}

}  // namespace
}  // namespace henge::core
