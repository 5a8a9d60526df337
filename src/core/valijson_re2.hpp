#pragma once
// valijson 1.0 (Debian 12's) matches `pattern`, `patternProperties` and the date/time
// `format`s with std::regex, which backtracks: a pattern with nested quantifiers takes
// time exponential in the string, and libstdc++ recurses once per character, so a
// string of some 100,000 characters overflows the stack even under "^[0-9]+$". Either
// lets one config write stall or crash henged. These explicit specialisations replace
// those member functions of valijson's validator, for the two adapters it is used with,
// by ones that match with RE2 (schema_regex.hpp) and the formats' own parsers
// (schema_formats.hpp): linear in the input, no recursion.
//
// An explicit specialisation must be seen before anything instantiates the member, so
// this header comes right after valijson's and only schema.cpp — the one translation
// unit that validates — includes it.

#include <set>
#include <string>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/adapters/std_string_adapter.hpp>
#include <valijson/validation_visitor.hpp>

#include "core/schema_formats.hpp"
#include "core/schema_regex.hpp"

namespace henge::core::valijson_re2 {

template <class Target>
bool is_string(const Target& target, bool strict) {
  return strict ? target.isString() : target.maybeString();
}

// A pattern that RE2 cannot compile was refused when its schema was uploaded; a schema
// stored before henge matched with RE2 can still hold one, and then nothing matches it.
template <class Target>
bool pattern(const valijson::constraints::PatternConstraint& constraint, const Target& target, bool strict,
             const std::vector<std::string>& context, valijson::ValidationResults* results) {
  if (!is_string(target, strict)) return true;
  const auto re = constraint.getPattern<std::string::allocator_type>();
  if (schema_regex_search(re, target.asString())) return true;
  if (results != nullptr) results->pushError(context, "must match the pattern \"" + re + "\"");
  return false;
}

inline const char* format_error(const std::string& format, const std::string& s) {
  if (format == "date" && !is_rfc3339_date(s)) return "must be a date (RFC 3339 full-date, such as 2026-11-27)";
  if (format == "time" && !is_rfc3339_time(s)) return "must be a time (RFC 3339 full-time, such as 16:52:45Z)";
  if (format == "date-time" && !is_rfc3339_date_time(s)) {
    return "must be a date and time (RFC 3339 date-time, such as 2026-11-27T16:52:45Z)";
  }
  return nullptr;  // valid, or a format henge does not check (draft-07 makes them optional)
}

// draft-07: a format constrains strings only (valijson's own throws on other values).
template <class Target>
bool format(const valijson::constraints::FormatConstraint& constraint, const Target& target, bool strict,
            const std::vector<std::string>& context, valijson::ValidationResults* results) {
  if (!is_string(target, strict)) return true;
  const char* error = format_error(constraint.getFormat(), target.asString());
  if (error == nullptr) return true;
  if (results != nullptr) results->pushError(context, error);
  return false;
}

}  // namespace henge::core::valijson_re2

namespace valijson {

template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::visit(const constraints::PatternConstraint& constraint) {
  return henge::core::valijson_re2::pattern(constraint, m_target, m_strictTypes, m_context, m_results);
}
template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::visit(const constraints::FormatConstraint& constraint) {
  return henge::core::valijson_re2::format(constraint, m_target, m_strictTypes, m_context, m_results);
}
template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::PatternConstraint& constraint) {
  return henge::core::valijson_re2::pattern(constraint, m_target, m_strictTypes, m_context, m_results);
}
template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::FormatConstraint& constraint) {
  return henge::core::valijson_re2::format(constraint, m_target, m_strictTypes, m_context, m_results);
}

// properties, patternProperties and additionalProperties are one constraint in valijson;
// only the patternProperties step changes, but the three share what they matched.
template <>
inline bool ValidationVisitor<adapters::BoostJsonAdapter>::visit(const constraints::PropertiesConstraint& constraint) {
  if ((m_strictTypes && !m_target.isObject()) || !m_target.maybeObject()) return true;
  const auto object = m_target.asObject();
  bool validated = true;
  std::set<std::string> matched;  // names some subschema has validated

  constraint.applyToProperties(ValidatePropertySubschemas(object, m_context, true, m_results != nullptr, true,
                                                          m_strictTypes, m_results, &matched, &validated,
                                                          m_regexesCache));
  if (!validated && !m_results) return false;

  auto validate_member = [&](const std::string& name, const auto& value, const Subschema& subschema) {
    std::vector<std::string> context = m_context;
    context.push_back("[" + name + "]");
    ValidationVisitor member(value, std::move(context), m_strictTypes, m_results, m_regexesCache);
    return member.validateSchema(subschema);
  };

  constraint.applyToPatternProperties([&](const auto& pattern_string, const Subschema* subschema) {
    const std::string pattern(pattern_string.c_str());
    for (const auto member : object) {
      if (!henge::core::schema_regex_search(pattern, member.first)) continue;
      matched.insert(member.first);
      if (validate_member(member.first, member.second, *subschema)) continue;
      validated = false;
      if (!m_results) return false;
    }
    return true;
  });
  if (!validated && !m_results) return false;

  // Each property no subschema took is reported at its own path (valijson names only
  // the first, at the object, where a nearer error would hide it).
  const Subschema* additional = constraint.getAdditionalPropertiesSubschema();
  for (const auto member : object) {
    if (matched.count(member.first) != 0) continue;
    if (additional != nullptr && validate_member(member.first, member.second, *additional)) continue;
    validated = false;
    if (!m_results) return false;
    if (additional == nullptr) {
      std::vector<std::string> context = m_context;
      context.push_back("[" + member.first + "]");
      m_results->pushError(context, "is not an allowed property here (additionalProperties is false)");
    }
  }
  return validated;
}

}  // namespace valijson
