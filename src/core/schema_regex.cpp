#include "core/schema_regex.hpp"

#include <re2/re2.h>

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace henge::core {
namespace {

// Patterns come from the schemas an operator uploads, so the set is small; the bound is
// for a fleet that churns through schemas. Dropping everything when it is reached is
// enough: the patterns still in use come back on their next match.
constexpr std::size_t kMaxCached = 4096;

struct Cache {
  std::shared_mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> compiled;
};

Cache& cache() {
  static auto* c = new Cache;  // lives for the process: validation may run during exit
  return *c;
}

std::shared_ptr<const re2::RE2> compile(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);  // errors go to whoever uploaded the schema, not stderr
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  return std::make_shared<const re2::RE2>(pattern, options);
}

}  // namespace

std::shared_ptr<const re2::RE2> schema_regex(const std::string& pattern) {
  auto& c = cache();
  {
    std::shared_lock lock(c.mu);
    if (auto it = c.compiled.find(pattern); it != c.compiled.end()) return it->second;
  }
  auto re = compile(pattern);  // outside the lock: compiling takes a while
  std::unique_lock lock(c.mu);
  if (c.compiled.size() >= kMaxCached) c.compiled.clear();
  return c.compiled.try_emplace(pattern, std::move(re)).first->second;
}

bool schema_regex_search(const std::string& pattern, std::string_view text) {
  const auto re = schema_regex(pattern);
  return re->ok() && re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re);
}

std::string schema_regex_error(const std::string& pattern) {
  const auto re = schema_regex(pattern);
  return re->ok() ? std::string() : re->error();
}

}  // namespace henge::core
