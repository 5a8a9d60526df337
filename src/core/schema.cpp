#include "core/schema.hpp"

#define VALIJSON_USE_EXCEPTIONS 1
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <set>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "core/valijson_bounded.hpp"  // right after valijson: these specialise its templates
#include "core/valijson_re2.hpp"

#include "core/draft07_metaschema.hpp"
#include "core/json_pointer.hpp"
#include "core/layering.hpp"
#include "core/schema_regex.hpp"

namespace henge::core {
namespace json = boost::json;
using valijson::adapters::BoostJsonAdapter;

struct CompiledSchema::Impl {
  valijson::Schema schema;
};

CompiledSchema::CompiledSchema(std::unique_ptr<Impl> impl, json::value defaults)
    : impl_(std::move(impl)), defaults_(std::move(defaults)) {}
CompiledSchema::~CompiledSchema() = default;

namespace {

// valijson names a location "<root>", "[key]" or "[3]"; a JSON pointer writes an
// object key and an array index the same way, so the brackets are all that go.
std::string to_pointer(const std::vector<std::string>& context) {
  JsonPointer ptr;
  for (const auto& part : context) {
    if (part.size() < 2 || part.front() != '[' || part.back() != ']') continue;
    ptr = ptr.child(part.substr(1, part.size() - 2));
  }
  return ptr.str();
}

// valijson prints numbers with printf's %f ("100.000000"); people wrote 100 or 0.5.
// Trims the trailing zeros (and a bare dot) of every such number in a message.
std::string tidy_numbers(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  std::size_t i = 0;
  while (i < message.size()) {
    const char c = message[i];
    if (c != '.' || out.empty() || !std::isdigit(static_cast<unsigned char>(out.back()))) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    std::string fraction = message.substr(i + 1, end - i - 1);
    if (fraction.empty()) {  // a full stop after a number, not a decimal point
      out.push_back(c);
      ++i;
      continue;
    }
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) out += "." + fraction;
    i = end;
  }
  return out;
}

std::vector<FieldError> collect(const valijson::ValidationResults& results) {
  std::vector<valijson::ValidationResults::Error> errors;
  valijson::ValidationResults copy = results;
  valijson::ValidationResults::Error e;
  while (copy.popError(e)) errors.push_back(e);
  // valijson reports each failure along with a summary at every enclosing level;
  // keep only the most specific: an error whose location encloses another's goes.
  // In sorted order the locations a location encloses come right after it, so one
  // pass over the sorted locations finds them (n log n: a config can fail at tens of
  // thousands of places).
  std::vector<std::size_t> order(errors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return errors[a].context < errors[b].context; });
  std::vector<bool> encloses_other(errors.size(), false);
  for (std::size_t k = 0; k < order.size();) {  // a run of equal locations at a time
    const auto& a = errors[order[k]].context;
    std::size_t next = k + 1;
    while (next < order.size() && errors[order[next]].context == a) ++next;
    const bool encloses = next < order.size() && a.size() < errors[order[next]].context.size() &&
                          std::equal(a.begin(), a.end(), errors[order[next]].context.begin());
    for (; k < next; ++k) encloses_other[order[k]] = encloses;
  }
  std::vector<FieldError> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (encloses_other[i]) continue;
    FieldError fe{"", to_pointer(errors[i].context), tidy_numbers(errors[i].description)};
    if (seen.emplace(fe.path, fe.message).second) out.push_back(std::move(fe));
  }
  return out;
}

// valijson's Boost.JSON adapter knows int64 and double only: a uint64 (how Boost.JSON
// holds an integer above 2^63 - 1, and how json::value holds any unsigned it is given)
// is neither an integer nor a number to it, and comparing one throws. Such values are
// validated as valijson compares every number: as the nearest double.
bool holds_uint64(const json::value& doc) {
  std::vector<const json::value*> todo{&doc};
  while (!todo.empty()) {
    const auto* v = todo.back();
    todo.pop_back();
    if (v->is_uint64()) return true;
    if (const auto* o = v->if_object()) {
      for (const auto& [k, sub] : *o) todo.push_back(&sub);
    } else if (const auto* a = v->if_array()) {
      for (const auto& sub : *a) todo.push_back(&sub);
    }
  }
  return false;
}

void uint64_as_int64_or_double(json::value& doc) {
  std::vector<json::value*> todo{&doc};
  while (!todo.empty()) {
    auto* v = todo.back();
    todo.pop_back();
    if (v->is_uint64()) {
      const auto u = v->get_uint64();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) {
        *v = static_cast<std::int64_t>(u);
      } else {
        *v = static_cast<double>(u);
      }
    } else if (auto* o = v->if_object()) {
      for (auto& [k, sub] : *o) todo.push_back(&sub);
    } else if (auto* a = v->if_array()) {
      for (auto& sub : *a) todo.push_back(&sub);
    }
  }
}

const valijson::Schema& meta_schema() {
  static const auto* schema = [] {
    auto* s = new valijson::Schema;  // lives for the process
    const json::value doc = json::parse(kDraft07MetaSchema);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.populateSchema(BoostJsonAdapter(doc), *s);
    return s;
  }();
  return *schema;
}

// Patterns are RE2's syntax (schema_regex.hpp): refuse the ones it cannot compile when
// the schema is uploaded rather than fail every config later.
void check_patterns(const json::value& v, const JsonPointer& at, std::vector<FieldError>& out) {
  auto check = [&out](const std::string& pattern, const JsonPointer& where) {
    if (auto error = schema_regex_error(pattern); !error.empty()) {
      out.push_back({"", where.str(), "not a regular expression henge can use (RE2 syntax): " + error});
    }
  };
  if (const auto* obj = v.if_object()) {
    for (const auto& [key, sub] : *obj) {
      // Instances, not schemas: a "pattern" in them is data.
      if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
      const auto here = at.child(key);
      if (key == "pattern" && sub.is_string()) check(std::string(sub.get_string()), here);
      if (key == "patternProperties" && sub.is_object()) {
        for (const auto& [pattern, ignored] : sub.get_object()) check(std::string(pattern), here.child(pattern));
      }
      check_patterns(sub, here, out);
    }
  } else if (const auto* arr = v.if_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) check_patterns((*arr)[i], at.child(std::to_string(i)), out);
  }
}

// Follows the $ref at `at` until it reaches a subschema that is not itself a $ref.
void check_ref_chain(const json::value& root, std::string ref, const JsonPointer& at, std::vector<FieldError>& out) {
  std::set<std::string> seen;
  for (;;) {
    if (ref.empty() || ref.front() != '#') {
      out.push_back({"", at.str(), "only $refs into this schema are supported (\"#/...\"), not \"" + ref + "\""});
      return;
    }
    if (!seen.insert(ref).second) {
      out.push_back({"", at.str(), "$ref \"" + ref + "\" leads back to itself through $refs alone"});
      return;
    }
    auto pointer = JsonPointer::parse(std::string_view(ref).substr(1));
    const json::value* target = pointer ? find(root, *pointer) : nullptr;
    if (target == nullptr) {
      out.push_back({"", at.str(), "$ref \"" + ref + "\" points to nothing in this schema"});
      return;
    }
    const auto* obj = target->if_object();
    const auto* next = obj != nullptr ? obj->if_contains("$ref") : nullptr;
    if (next == nullptr || !next->is_string()) return;
    ref = std::string(next->get_string());
  }
}

// valijson resolves $refs eagerly while it compiles: one that is not a pointer into this
// document, or a chain of $refs that comes back to itself without a schema in between,
// makes it recurse until the stack runs out (found by fuzzing). Refuse both at upload.
void check_refs(const json::value& root, const json::value& v, const JsonPointer& at, std::vector<FieldError>& out) {
  if (const auto* obj = v.if_object()) {
    for (const auto& [key, sub] : *obj) {
      // Instances, not schemas: a "$ref" in them is data.
      if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
      const auto here = at.child(key);
      if (key == "$ref" && sub.is_string()) {
        check_ref_chain(root, std::string(sub.get_string()), here, out);
      } else {
        check_refs(root, sub, here, out);
      }
    }
  } else if (const auto* arr = v.if_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) check_refs(root, (*arr)[i], at.child(std::to_string(i)), out);
  }
}

// The subschemas that apply to the same value as `s` does: valijson recurses into them
// without descending into the value, so a loop among them never ends (found by fuzzing).
void same_value_subschemas(const json::value& root, const json::value& s, std::vector<const json::value*>& out) {
  const auto* o = s.if_object();
  if (o == nullptr) return;
  for (const char* k : {"allOf", "anyOf", "oneOf"}) {
    if (const auto* v = o->if_contains(k); v != nullptr && v->is_array()) {
      for (const auto& item : v->get_array()) out.push_back(&item);
    }
  }
  for (const char* k : {"not", "if", "then", "else"}) {
    if (const auto* v = o->if_contains(k)) out.push_back(v);
  }
  if (const auto* r = o->if_contains("$ref"); r != nullptr && r->is_string() && r->get_string().starts_with("#")) {
    if (auto ptr = JsonPointer::parse(std::string_view(r->get_string()).substr(1))) {
      if (const auto* target = find(root, *ptr)) out.push_back(target);
    }
  }
}

bool loops_on_same_value(const json::value& root, const json::value* s, std::set<const json::value*>& open,
                         std::set<const json::value*>& done) {
  if (done.count(s) != 0) return false;
  if (!open.insert(s).second) return true;
  std::vector<const json::value*> next;
  same_value_subschemas(root, *s, next);
  for (const auto* n : next) {
    if (loops_on_same_value(root, n, open, done)) return true;
  }
  open.erase(s);
  done.insert(s);
  return false;
}

void check_loops(const json::value& root, const json::value& v, const JsonPointer& at,
                 std::set<const json::value*>& done, std::vector<FieldError>& out) {
  if (!out.empty()) return;
  if (const auto* obj = v.if_object()) {
    std::set<const json::value*> open;
    if (loops_on_same_value(root, &v, open, done)) {
      out.push_back({"", at.str(),
                     "this schema applies itself to the same value without end (a loop through "
                     "allOf, anyOf, oneOf, not, if/then/else or $ref)"});
      return;
    }
    for (const auto& [key, sub] : *obj) {
      if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
      check_loops(root, sub, at.child(key), done, out);
    }
  } else if (const auto* arr = v.if_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) check_loops(root, (*arr)[i], at.child(std::to_string(i)), done, out);
  }
}

}  // namespace

Result<std::shared_ptr<const CompiledSchema>> CompiledSchema::compile(const json::value& doc) {
  if (!doc.is_object()) return make_error(Errc::invalid, "a schema must be a JSON object");
  if (const auto* dialect = doc.get_object().if_contains("$schema")) {
    if (!dialect->is_string() || dialect->get_string().find("draft-07") == json::string::npos) {
      return make_error(Errc::invalid, "only JSON Schema draft-07 is supported",
                        {{"", "/$schema", "expected http://json-schema.org/draft-07/schema#"}});
    }
  }
  try {
    valijson_bounded::budget_left = kDefaultBudget;
    // valijson reads numbers as int64 or double only (see holds_uint64()).
    std::optional<json::value> converted;
    if (holds_uint64(doc)) {
      converted = doc;
      uint64_as_int64_or_double(*converted);
    }
    const json::value& readable = converted ? *converted : doc;
    valijson::Validator meta_validator;
    valijson::ValidationResults results;
    if (!meta_validator.validate(meta_schema(), BoostJsonAdapter(readable), &results)) {
      return make_error(Errc::invalid, "not a valid draft-07 JSON Schema", collect(results));
    }
    std::vector<FieldError> problems;
    check_patterns(doc, JsonPointer{}, problems);
    check_refs(doc, doc, JsonPointer{}, problems);
    if (problems.empty()) {
      std::set<const json::value*> done;
      check_loops(doc, doc, JsonPointer{}, done, problems);
    }
    if (!problems.empty()) return make_error(Errc::invalid, "not a valid draft-07 JSON Schema", std::move(problems));
    auto impl = std::make_unique<Impl>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.populateSchema(BoostJsonAdapter(readable), impl->schema);
    return std::shared_ptr<const CompiledSchema>(new CompiledSchema(std::move(impl), schema_defaults(doc)));
  } catch (const std::exception& e) {
    // valijson reports what it cannot compile (such as a remote $ref) by throwing.
    return make_error(Errc::invalid, std::string("schema cannot be compiled: ") + e.what());
  }
}

std::vector<FieldError> CompiledSchema::validate(const json::value& instance, std::size_t budget) const {
  valijson::ValidationResults results;
  try {
    valijson_bounded::budget_left = budget;
    std::optional<json::value> converted;
    if (holds_uint64(instance)) {
      converted = instance;
      uint64_as_int64_or_double(*converted);
    }
    valijson::Validator validator;
    if (validator.validate(impl_->schema, BoostJsonAdapter(converted ? *converted : instance), &results)) return {};
    auto errors = collect(results);
    if (errors.empty()) errors.push_back({"", "", "does not validate against the schema"});
    return errors;
  } catch (const valijson_bounded::BudgetExhausted& e) {
    return {{"", "", e.what()}};
  } catch (const valijson_bounded::EnoughErrors&) {
    // What was found is plenty to act on; finding the rest would only cost time.
    auto errors = collect(results);
    errors.push_back(
        {"", "", "and more: validation stopped after " + std::to_string(valijson_bounded::kMaxErrors) + " errors"});
    return errors;
  } catch (const std::exception& e) {
    return {{"", "", std::string("validation failed: ") + e.what()}};
  }
}

}  // namespace henge::core
