// The worst configs the default size limit (256 KiB serialized) admits, each against
// the schema that makes it costly, and the JSON policy's own cost on a body at the
// request limit (1 MiB). Prints one line per case: the document's size, the median
// and the slowest of the runs, and what validation said. Run by bench/validation.sh.

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/json_policy.hpp"
#include "core/schema.hpp"

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kConfigLimit = 256 << 10;
constexpr int kRuns = 5;

json::array many(std::size_t n, const std::function<json::value(std::size_t)>& item) {
  json::array a;
  for (std::size_t i = 0; i < n; ++i) a.push_back(item(i));
  return a;
}

// As many items as fit the config limit, as the object {"list": [...]}.
json::value filling(const std::function<json::value(std::size_t)>& item) {
  std::size_t n = 1024;
  auto doc = [&](std::size_t count) { return json::value(json::object{{"list", many(count, item)}}); };
  while (json::serialize(doc(n * 2)).size() <= kConfigLimit) n *= 2;
  std::size_t lo = n;
  std::size_t hi = n * 2;
  while (hi - lo > 1) {
    const std::size_t mid = (lo + hi) / 2;
    (json::serialize(doc(mid)).size() <= kConfigLimit ? lo : hi) = mid;
  }
  return doc(lo);
}

struct Timing {
  double median_ms;
  double max_ms;
};

Timing time_it(const std::function<void()>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < kRuns; ++i) {
    const auto t0 = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

void validation_case(const char* name, const char* schema_text, const json::value& config) {
  auto schema = henge::core::CompiledSchema::compile(json::parse(schema_text));
  if (!schema) {
    std::printf("%-44s schema does not compile: %s\n", name, schema.error().message.c_str());
    return;
  }
  std::vector<henge::core::FieldError> errors;
  const auto t = time_it([&] { errors = (*schema)->validate(config); });
  const std::string verdict =
      errors.empty() ? "valid" : std::to_string(errors.size()) + " errors, first: " + errors.front().message;
  const auto* list = config.is_object() ? config.get_object().if_contains("list") : nullptr;
  const std::size_t items = list != nullptr && list->is_array() ? list->get_array().size() : 0;
  std::printf("%-44s %8zu B %7zu items  median %9.2f ms  max %9.2f ms  %.60s\n", name, json::serialize(config).size(),
              items, t.median_ms, t.max_ms, verdict.c_str());
}

json::value nested(std::size_t depth) {
  json::value doc = json::object{};
  json::value* at = &doc;
  for (std::size_t i = 1; i < depth; ++i) {
    at->as_object()["a"] = json::object{};
    at = &at->as_object()["a"];
  }
  return doc;
}

}  // namespace

int main() {
  std::printf("validation of the worst configs under the %zu-byte limit (%d runs each)\n", kConfigLimit, kRuns);
  const char* unique = R"({"type":"object","properties":{"list":{"type":"array","uniqueItems":true}}})";
  validation_case("uniqueItems, distinct integers", unique, filling([](std::size_t i) { return json::value(i); }));
  validation_case("uniqueItems, all equal", unique, filling([](std::size_t) { return json::value(0); }));
  validation_case("uniqueItems, distinct objects", unique, filling([](std::size_t i) {
                    return json::value(json::object{{"k", i}, {"v", "x"}});
                  }));
  validation_case("items of the wrong type (an error each)",
                  R"({"type":"object","properties":{"list":{"type":"array","items":{"type":"string"}}}})",
                  filling([](std::size_t) { return json::value(0); }));
  validation_case("items against four subschemas",
                  R"({"type":"object","properties":{"list":{"type":"array","items":{"allOf":[{"type":"integer"},
                     {"minimum":0},{"not":{"const":-1}}]}}}})",
                  filling([](std::size_t i) { return json::value(i); }));
  std::string big_enum = R"({"type":"object","properties":{"list":{"type":"array","items":{"enum":[)";
  for (int i = 0; i < 1000; ++i) big_enum += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  big_enum += "]}}}}";
  validation_case("items in an enum of 1,000 strings (budget)", big_enum.c_str(),
                  filling([](std::size_t) { return json::value("v999"); }));
  std::string small_enum = R"({"type":"object","properties":{"list":{"type":"array","items":{"enum":[)";
  for (int i = 0; i < 10; ++i) small_enum += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  small_enum += "]}}}}";
  validation_case("items in an enum of 10 strings", small_enum.c_str(),
                  filling([](std::size_t) { return json::value("v9"); }));
  validation_case("pattern over one 256 KiB string",
                  R"({"type":"object","properties":{"s":{"type":"string","pattern":"^(a+)+$"}}})",
                  json::object{{"s", std::string(kConfigLimit - 16, 'a') + "!"}});
  validation_case("anyOf over $ref at each of 32 levels (budget)",
                  R"({"$ref":"#/definitions/n","definitions":{"n":{"anyOf":[
                     {"properties":{"a":{"$ref":"#/definitions/n"}},"required":["missing"]},
                     {"properties":{"a":{"$ref":"#/definitions/n"}}}]}}})",
                  nested(henge::core::kMaxDepth));

  std::printf("\nthe JSON policy on a 1 MiB body (%d runs each)\n", kRuns);
  const std::string body = json::serialize(json::object{{"list", many(48000, [](std::size_t i) {
                                                           return json::value(json::object{{"n", i}, {"f", 0.5}});
                                                         })}});
  const auto plain = time_it([&] { (void)json::parse(body); });
  const auto policed = time_it([&] { (void)henge::core::parse_json(body); });
  const auto parsed = json::parse(body);
  const auto checked = time_it([&] { (void)henge::core::check_json(parsed, "the body"); });
  std::printf("%-44s %8zu B  median %9.2f ms  max %9.2f ms\n", "json::parse", body.size(), plain.median_ms,
              plain.max_ms);
  std::printf("%-44s %8zu B  median %9.2f ms  max %9.2f ms\n", "core::parse_json (checks, then parses)", body.size(),
              policed.median_ms, policed.max_ms);
  std::printf("%-44s %8zu B  median %9.2f ms  max %9.2f ms\n", "core::check_json (of a built document)", body.size(),
              checked.median_ms, checked.max_ms);
  return 0;
}
