#include "core/schema.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>

namespace henge::core {
namespace {
namespace json = boost::json;

const char* const kLedSchema = R"({
  "$schema":"http://json-schema.org/draft-07/schema#",
  "type":"object",
  "properties":{
    "led":{"type":"object","properties":{
      "brightness":{"type":"integer","minimum":0,"maximum":100,"default":20},
      "color":{"type":"string","pattern":"^#[0-9a-f]{6}$"}},
      "additionalProperties":false},
    "interval":{"type":"number"}
  },
  "required":["led"]
})";

TEST(Schema, CompilesAndExposesDefaults) {
  auto s = CompiledSchema::compile(json::parse(kLedSchema));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->defaults(), json::parse(R"({"led":{"brightness":20}})"));
}

TEST(Schema, ValidConfigHasNoErrors) {
  auto s = CompiledSchema::compile(json::parse(kLedSchema));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->validate(json::parse(R"({"led":{"brightness":50,"color":"#00ff00"}})")).empty());
}

TEST(Schema, ErrorsNameThePointerOfTheBadValue) {
  auto s = CompiledSchema::compile(json::parse(kLedSchema));
  ASSERT_TRUE(s.ok());
  const auto errors = (*s)->validate(json::parse(R"({"led":{"brightness":500}})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/led/brightness");
  EXPECT_NE(errors[0].message.find("100"), std::string::npos) << errors[0].message;
}

TEST(Schema, NumbersInMessagesAreWrittenAsPeopleWriteThem) {
  auto s = CompiledSchema::compile(json::parse(R"({"properties":{"a":{"maximum":100},"b":{"minimum":0.25}}})"));
  ASSERT_TRUE(s.ok());
  const auto errors = (*s)->validate(json::parse(R"({"a":500,"b":0.1})"));
  ASSERT_EQ(errors.size(), 2u);
  for (const auto& e : errors) {
    EXPECT_EQ(e.message.find("000"), std::string::npos) << e.message;
  }
  const auto& a = errors[0].path == "/a" ? errors[0] : errors[1];
  const auto& b = errors[0].path == "/a" ? errors[1] : errors[0];
  EXPECT_NE(a.message.find(" 100"), std::string::npos) << a.message;
  EXPECT_EQ(a.message.find("100."), std::string::npos) << a.message;
  EXPECT_NE(b.message.find("0.25"), std::string::npos) << b.message;
}

TEST(Schema, ReportsEachBadFieldOnce) {
  auto s = CompiledSchema::compile(json::parse(kLedSchema));
  ASSERT_TRUE(s.ok());
  const auto errors = (*s)->validate(json::parse(R"({"led":{"brightness":"x","color":"red"},"interval":"s"})"));
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/interval", "/led/brightness", "/led/color"}));
}

TEST(Schema, MissingRequiredIsReportedAtTheParent) {
  auto s = CompiledSchema::compile(json::parse(kLedSchema));
  ASSERT_TRUE(s.ok());
  const auto errors = (*s)->validate(json::object{});
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].path, "");
  EXPECT_NE(errors[0].message.find("led"), std::string::npos) << errors[0].message;
}

TEST(Schema, RejectsDocumentsThatAreNotDraft07Schemas) {
  const char* bad[] = {
      R"([])",
      R"({"type":"nonsense"})",
      R"({"properties":{"a":{"minimum":"ten"}}})",
      R"({"$schema":"https://json-schema.org/draft/2020-12/schema"})",
      R"({"properties":{"a":{"type":"string","pattern":"(["}}})",
      R"({"$ref":"http://example.com/remote.json"})",
  };
  for (const char* doc : bad) {
    auto r = CompiledSchema::compile(json::parse(doc));
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, Errc::invalid) << doc;
  }
}

TEST(Schema, MetaSchemaErrorsPointIntoTheSchema) {
  auto r = CompiledSchema::compile(json::parse(R"({"properties":{"a":{"minimum":"ten"}}})"));
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(r.error().details.empty());
  EXPECT_EQ(r.error().details[0].path, "/properties/a/minimum");
}

}  // namespace
}  // namespace henge::core

namespace henge::core {
namespace {

// Found by fuzzing: valijson recursed until the stack ran out on these, which an operator
// could upload. They are refused, naming the $ref.
TEST(Schema, RefusesRefsThatLeaveTheDocumentOrLoopOnThemselves) {
  const std::pair<const char*, const char*> refused[] = {
      {R"({"$ref":"#"})", "/$ref"},
      {R"({"$ref":"object","properties":{"n":{"type":"integer"}}})", "/$ref"},
      {R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"})",
       "/definitions/a/$ref"},
      {R"({"properties":{"x":{"$ref":"#/definitions/missing"}}})", "/properties/x/$ref"},
      {R"({"$ref":"http://example.com/schema.json"})", "/$ref"},
      {R"({"allOf":[{"$ref":"#"}]})", ""},
      {R"({"properties":{"a":{"not":{"anyOf":[{"$ref":"#/properties/a"}]}}}})", "/properties/a"},
  };
  for (const auto& [text, where] : refused) {
    auto s = CompiledSchema::compile(json::parse(text));
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().code, Errc::invalid);
    bool named = false;
    for (const auto& d : s.error().details) named = named || d.path == where;
    EXPECT_TRUE(named) << text << ": no detail at " << where;
  }
}

TEST(Schema, LocalAndRecursiveRefsStillWork) {
  auto s = CompiledSchema::compile(json::parse(R"({
    "definitions":{"level":{"type":"integer","minimum":0},"alias":{"$ref":"#/definitions/level"}},
    "properties":{"a":{"$ref":"#/definitions/alias"},"child":{"$ref":"#"},
                  "data":{"const":{"$ref":"not a reference"}}}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->validate(json::parse(R"({"a":3,"child":{"a":1,"child":{}}})")).empty());
  EXPECT_FALSE((*s)->validate(json::parse(R"({"child":{"a":-1}})")).empty());
}

}  // namespace
}  // namespace henge::core

namespace henge::core {
namespace {

// Patterns are matched with RE2 and formats parsed by hand, both linear in the string:
// under std::regex the first took exponential time (found by fuzzing) and the others
// overflowed the stack, one recursion per character.
TEST(Schema, PatternsAndFormatsTakeLinearTimeOnHostileStrings) {
  auto s = CompiledSchema::compile(json::parse(R"({"properties":{
    "nested":{"type":"string","pattern":"^(a+)+$"},
    "digits":{"type":"string","pattern":"^[0-9]+$"},
    "day":{"type":"string","format":"date"}},
    "patternProperties":{"^(x+x+)+y$":{"type":"integer"}}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::string long_digits(200'000, '1');
  json::object config;
  config["nested"] = std::string(64, 'a') + "!";
  config["digits"] = long_digits;
  config["day"] = long_digits + "-01-01";
  config[std::string(64, 'x')] = "not looked at: the name does not match";
  const auto errors = (*s)->validate(config);
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/day", "/nested"}));
}

TEST(Schema, PatternsAreSearchedNotAnchored) {
  auto s = CompiledSchema::compile(json::parse(R"({"properties":{"a":{"pattern":"b+c"}},
    "patternProperties":{"^port_":{"type":"integer"}},"additionalProperties":false})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->validate(json::parse(R"({"a":"abbcd","port_http":80})")).empty());
  const auto errors = (*s)->validate(json::parse(R"({"a":"ac","port_http":"80","other":1})"));
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/other", "/port_http"}));
  for (const auto& e : errors) {
    if (e.path == "/a") {
      EXPECT_NE(e.message.find("b+c"), std::string::npos) << e.message;
    }
  }
}

TEST(Schema, PatternPropertiesWorkAlongsidePropertiesAndAdditionalProperties) {
  auto s = CompiledSchema::compile(json::parse(R"({"properties":{"name":{"type":"string"}},
    "patternProperties":{"^gpio[0-9]+$":{"type":"boolean"}},"additionalProperties":{"type":"number"}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->validate(json::parse(R"({"name":"pi","gpio4":true,"gain":1.5})")).empty());
  const auto errors = (*s)->validate(json::parse(R"({"name":"pi","gpio4":1,"gain":"x"})"));
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/gain", "/gpio4"}));
}

TEST(Schema, PropertyNamesPatternsUseRe2Too) {
  auto s = CompiledSchema::compile(json::parse(R"({"propertyNames":{"pattern":"^[a-z]+$"}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->validate(json::parse(R"({"abc":1})")).empty());
  EXPECT_FALSE((*s)->validate(json::parse(R"({"Abc":1})")).empty());
}

TEST(Schema, RefusesPatternsRe2CannotUseNamingWhere) {
  const std::pair<const char*, const char*> refused[] = {
      {R"j({"properties":{"a":{"pattern":"(?=x)"}}})j", "/properties/a/pattern"},   // lookahead
      {R"j({"properties":{"a":{"pattern":"(a)\\1"}}})j", "/properties/a/pattern"},  // backreference
      {R"({"patternProperties":{"((":{}}})", "/patternProperties/(("},
      {R"({"items":{"pattern":"a{1001}"}})", "/items/pattern"},  // over RE2's repetition bound
  };
  for (const auto& [text, where] : refused) {
    auto s = CompiledSchema::compile(json::parse(text));
    ASSERT_FALSE(s.ok()) << text;
    ASSERT_FALSE(s.error().details.empty()) << text;
    EXPECT_EQ(s.error().details[0].path, where) << text;
    EXPECT_NE(s.error().details[0].message.find("RE2"), std::string::npos) << s.error().details[0].message;
  }
  // "pattern" as data or as a property's name is not a pattern.
  EXPECT_TRUE(CompiledSchema::compile(json::parse(R"j({"properties":{"pattern":{"type":"string"}},
    "default":{"pattern":"(["},"enum":[{"pattern":"(?=x)"}]})j"))
                  .ok());
}

TEST(Schema, FormatsConstrainStringsOnly) {
  auto s = CompiledSchema::compile(json::parse(R"({"properties":{"d":{"format":"date"},"t":{"format":"time"},
    "dt":{"format":"date-time"},"other":{"format":"hostname"}}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->validate(json::parse(R"({"d":5,"t":null,"dt":[],"other":"x"})")).empty());
  EXPECT_TRUE(
      (*s)->validate(json::parse(R"({"d":"2024-02-29","t":"23:59:60.5+01:00","dt":"2026-11-27T16:52:45Z"})")).empty());
  const auto errors = (*s)->validate(json::parse(R"({"d":"2023-02-29","t":"24:00:00Z","dt":"2026-11-27 16:52:45Z"})"));
  EXPECT_EQ(errors.size(), 3u);
  for (const auto& e : errors) EXPECT_NE(e.message.find("RFC 3339"), std::string::npos) << e.message;
}

std::shared_ptr<const CompiledSchema> compiled(const std::string& text) {
  auto s = CompiledSchema::compile(json::parse(text));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? *s : nullptr;
}

json::array many(std::size_t n, const std::function<json::value(std::size_t)>& item) {
  json::array a;
  for (std::size_t i = 0; i < n; ++i) a.push_back(item(i));
  return a;
}

TEST(Schema, UniqueItemsFindsTheFirstEqualPairWhateverTheOrderOfKeysOrTheNumbersForm) {
  auto s = compiled(R"({"type":"array","uniqueItems":true})");
  EXPECT_TRUE(s->validate(json::parse(R"([1, "1", [1], {"a":1}, {"a":2}, null, true, false, 1.5])")).empty());
  auto errors = s->validate(json::parse(R"([{"a":1,"b":[2]}, 7, "x", {"b":[2.0],"a":1}, 7])"));
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].path, "");
  EXPECT_EQ(errors[0].message, "items 0 and 3 are equal, and uniqueItems allows no two alike");
  // Prefixes of one another, and strings that look like other kinds, are not alike.
  EXPECT_TRUE(
      s->validate(json::parse(R"(["ab", "a", "b", "s1:a", [["a"]], [["a"],[]], {"a":"b"}, {"ab":""}])")).empty());
  EXPECT_EQ(s->validate(json::parse("[0, -0.0]")).size(), 1U);
}

TEST(Schema, UniqueItemsOnFortyThousandItemsTakesNearLinearTime) {
  auto s = compiled(R"({"type":"object","properties":{"list":{"type":"array","uniqueItems":true}}})");
  const auto distinct = json::object{{"list", many(40000, [](std::size_t i) { return json::value(i); })}};
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(s->validate(distinct).empty());
  const auto alike = json::object{{"list", many(40000, [](std::size_t) { return json::value(7); })}};
  const auto errors = s->validate(alike);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].path, "/list");
  EXPECT_EQ(errors[0].message, "items 0 and 1 are equal, and uniqueItems allows no two alike");
  // Pairwise comparison took ~6 s for one such array; this takes milliseconds. The
  // bound is loose on purpose (sanitizers, a busy machine): it only catches O(n^2).
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(Schema, TensOfThousandsOfErrorsStopAtAThousandAndAreCollectedWithoutComparingEachPair) {
  auto s = compiled(R"({"type":"array","items":{"type":"string"}})");
  auto errors = s->validate(many(40000, [](std::size_t i) { return json::value(i); }));
  ASSERT_GE(errors.size(), 400U);
  ASSERT_LE(errors.size(), 1001U);
  EXPECT_EQ(errors.front().path, "/0");
  EXPECT_EQ(errors.back().message, "and more: validation stopped after 1000 errors");
  // Under the limit every error is listed, once, at its own item.
  errors = s->validate(many(300, [](std::size_t i) { return json::value(i); }));
  ASSERT_EQ(errors.size(), 300U);
  EXPECT_EQ(errors.back().path, "/299");
}

TEST(Schema, ASchemaThatRepeatsWorkAtEveryLevelRunsOutOfBudgetInsteadOfForever) {
  // Each level validates the child twice (the first branch fails on "required" only
  // after recursing), so a config 30 levels deep would take 2^30 visits.
  auto s = compiled(R"({"$ref":"#/definitions/n","definitions":{"n":{"anyOf":[
    {"properties":{"a":{"$ref":"#/definitions/n"}},"required":["missing"]},
    {"properties":{"a":{"$ref":"#/definitions/n"}}}]}}})");
  json::value doc = json::object{};
  json::value* at = &doc;
  for (int i = 0; i < 30; ++i) {
    at->as_object()["a"] = json::object{};
    at = &at->as_object()["a"];
  }
  // A small budget shows the mechanism without spending the default one (which takes
  // seconds under the sanitizers; its cost is in docs/benchmarks.md).
  const auto errors = s->validate(doc, 20000);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].message.find("simplify the schema"), std::string::npos) << errors[0].message;
  // Shallow, the same schema validates as it should.
  EXPECT_TRUE(s->validate(json::parse(R"({"a":{"a":{}}})"), 20000).empty());
}

TEST(Schema, TheDefaultBudgetCoversAConfigAtTheSizeLimit) {
  // 40,000 items (229 KB), each checked against four subschemas.
  auto s = compiled(R"({"type":"array","items":{"allOf":[{"type":"integer"},{"minimum":0},{"not":{"const":-1}}]}})");
  EXPECT_TRUE(s->validate(many(40000, [](std::size_t i) { return json::value(i); })).empty());
}

}  // namespace
}  // namespace henge::core
