#include "core/schema.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

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
