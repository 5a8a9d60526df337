#pragma once
// JSON Schema (draft-07) documents: checking that one is valid, and validating a
// config against it with errors that name JSON pointers.

#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/result.hpp"

namespace henge::core {

class CompiledSchema final {
 public:
  ~CompiledSchema();
  CompiledSchema(const CompiledSchema&) = delete;
  CompiledSchema& operator=(const CompiledSchema&) = delete;

  /// Checks `doc` against the draft-07 meta-schema and compiles it. Errc::invalid
  /// (with a FieldError per problem, paths into the schema document) when it is not
  /// a schema henge can use: not an object, not draft-07, or a remote `$ref`.
  static Result<std::shared_ptr<const CompiledSchema>> compile(const boost::json::value& doc);

  /// Checks (subschemas visited, enum values compared) one validation may make before
  /// it gives up (valijson_bounded.hpp): several times what a config at the size limit
  /// needs against a schema that applies a few subschemas to each of its values.
  static constexpr std::size_t kDefaultBudget = 1'000'000;

  /// Every way `instance` breaks the schema: `path` is a JSON pointer into the
  /// instance. Empty when it validates. A validation that would make more than
  /// `budget` checks stops with one error saying so. Thread-safe.
  [[nodiscard]] std::vector<FieldError> validate(const boost::json::value& instance,
                                                 std::size_t budget = kDefaultBudget) const;

  /// The defaults the schema declares (see schema_defaults()).
  [[nodiscard]] const boost::json::value& defaults() const { return defaults_; }

 private:
  struct Impl;
  explicit CompiledSchema(std::unique_ptr<Impl> impl, boost::json::value defaults);
  std::unique_ptr<Impl> impl_;
  boost::json::value defaults_;
};

}  // namespace henge::core
