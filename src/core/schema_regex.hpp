#pragma once
// The regular expressions of JSON Schemas (`pattern`, `patternProperties`), compiled
// with RE2. RE2 matches in time linear in the input and without recursion, so neither a
// pattern with nested quantifiers nor a long string can stall or crash henged; the
// price is RE2's syntax: no lookaround and no backreferences (docs/security.md).

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace henge::core {

/// The compiled form of `pattern`, shared by every schema that uses it. Never null;
/// check ok() on it: a pattern RE2 cannot compile comes back with its error().
/// Thread-safe.
std::shared_ptr<const re2::RE2> schema_regex(const std::string& pattern);

/// Whether `pattern` occurs anywhere in `text` (JSON Schema patterns are not anchored).
/// False when the pattern does not compile.
bool schema_regex_search(const std::string& pattern, std::string_view text);

/// Why RE2 cannot use `pattern`; empty when it can.
std::string schema_regex_error(const std::string& pattern);

}  // namespace henge::core
