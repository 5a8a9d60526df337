#pragma once
// Validation in bounded time. Two ways a config write could hold a worker for seconds
// or hours under valijson 1.0 as Debian ships it:
//
// - `uniqueItems` compares every pair of items and reports every equal pair: a
//   40,000-item array (229 KB, under the config limit) took ~6 s and, when its items
//   were equal, would have pushed 800 million errors. Here each item gets a canonical
//   text (object keys sorted, numbers as the doubles valijson compares), the texts
//   are sorted, and equal neighbours are duplicates: O(n log n), one error.
// - anyOf/oneOf/if that recurse through `$ref` validate a subtree once per branch at
//   every level: a small schema makes that 2^depth; and an `enum` is compared value by
//   value with every item it applies to, so a large enum over a large array multiplies
//   the two. A budget of checks per validation (CompiledSchema::kDefaultBudget: each
//   subschema visited and each enum value compared is one) stops any schema/config pair
//   that needs more, with an error that says so, instead of running unbounded.
//
// Explicit specialisations, like valijson_re2.hpp and for the same reason: included
// right after valijson's headers in schema.cpp alone.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/validation_visitor.hpp>
#include <vector>

namespace henge::core::valijson_bounded {

/// Thrown when a validation spends its budget; CompiledSchema::validate() reports it.
class BudgetExhausted final : public std::runtime_error {
 public:
  BudgetExhausted()
      : std::runtime_error(
            "validating this config needs more checks than henge allows one write (large enums over many items, "
            "or anyOf, oneOf or if/then/else over $ref that repeat the same work at every level): simplify the "
            "schema") {}
};

/// Errors a validation collects before it stops: a config wrong at 100,000 places
/// spent most of its time listing them, and a write shows the first hundred.
inline constexpr std::size_t kMaxErrors = 1000;

/// Thrown once a validation has collected kMaxErrors errors.
struct EnoughErrors {};

/// What is left of this thread's budget: set by CompiledSchema::validate().
inline thread_local std::size_t budget_left = 0;

inline void spend() {
  if (budget_left == 0) throw BudgetExhausted();
  --budget_left;
}

// A text that two values share exactly when valijson's strict equality holds between
// them: every part is self-delimiting, object members are in key order, numbers are
// compared as doubles (so 1 and 1.0 are alike, as JSON Schema says).
template <class Adapter>
void canonical(const Adapter& v, std::string& out) {
  if (v.isNull()) {
    out += 'n';
  } else if (v.isBool()) {
    out += v.asBool() ? 't' : 'f';
  } else if (v.isNumber()) {
    double d = v.getNumber();
    if (d == 0) d = 0;  // -0 and 0 are equal
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out += 'd';
    out.append(buf, ec == std::errc{} ? end : buf);
    out += ';';
  } else if (v.isString()) {
    const std::string s = v.asString();
    out += 's';
    out += std::to_string(s.size());
    out += ':';
    out += s;
  } else if (v.isArray()) {
    out += '[';
    for (const auto& item : v.asArray()) canonical(item, out);
    out += ']';
  } else if (v.isObject()) {
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto& member : v.asObject()) {
      std::string value;
      canonical(member.second, value);
      members.emplace_back(member.first, std::move(value));
    }
    std::sort(members.begin(), members.end());
    out += '{';
    for (const auto& [key, value] : members) {
      out += std::to_string(key.size());
      out += ':';
      out += key;
      out += value;
    }
    out += '}';
  }
}

template <class Target>
bool unique_items(const Target& target, bool strict, const std::vector<std::string>& context,
                  valijson::ValidationResults* results) {
  if ((strict && !target.isArray()) || !target.maybeArray()) return true;
  std::vector<std::pair<std::string, std::size_t>> items;
  for (const auto& item : target.asArray()) {
    std::string text;
    canonical(item, text);
    items.emplace_back(std::move(text), items.size());
  }
  std::sort(items.begin(), items.end());
  // The equal pair that comes first in the array: the smallest later index, then the
  // item it repeats. Within a run of equal texts the indices ascend (the sort's
  // tie-break), so a run's first two are its earliest pair.
  std::size_t first = 0;
  std::size_t second = 0;  // 0: none yet (a later index is never 0)
  for (std::size_t i = 0; i + 1 < items.size();) {
    std::size_t end = i + 1;
    while (end < items.size() && items[end].first == items[i].first) ++end;
    if (end - i > 1 && (second == 0 || items[i + 1].second < second)) {
      first = items[i].second;
      second = items[i + 1].second;
    }
    i = end;
  }
  if (second == 0) return true;
  if (results != nullptr) {
    results->pushError(context, "items " + std::to_string(first) + " and " + std::to_string(second) +
                                    " are equal, and uniqueItems allows no two alike");
  }
  return false;
}

}  // namespace henge::core::valijson_bounded

namespace valijson {

template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::visit(const constraints::UniqueItemsConstraint&) {
  return henge::core::valijson_bounded::unique_items(m_target, m_strictTypes, m_context, m_results);
}

// valijson's own, with each value compared taken from the budget.
template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::visit(const constraints::EnumConstraint& constraint) {
  bool matched = false;
  constraint.applyToValues([&](const adapters::FrozenValue& value) {
    henge::core::valijson_bounded::spend();
    matched = value.equalTo(m_target, m_strictTypes);
    return !matched;  // stop at the first match
  });
  if (!matched && m_results != nullptr) m_results->pushError(m_context, "Failed to match against any enum values.");
  return matched;
}

// valijson's own, with one visit taken from the budget, stopping once enough errors
// are in.
template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::validateSchema(const Subschema& subschema) {
  henge::core::valijson_bounded::spend();
  if (m_results != nullptr && m_results->numErrors() >= henge::core::valijson_bounded::kMaxErrors) {
    throw henge::core::valijson_bounded::EnoughErrors{};
  }
  if (subschema.getAlwaysInvalid()) return false;
  Subschema::ApplyFunction fn(std::bind(validationCallback, std::placeholders::_1, std::ref(*this)));
  return m_results == nullptr ? subschema.applyStrict(fn) : subschema.apply(fn);
}

}  // namespace valijson
