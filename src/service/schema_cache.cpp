#include "service/schema_cache.hpp"

namespace henge::service {

core::Result<std::shared_ptr<const core::CompiledSchema>> SchemaCache::get(const std::string& name,
                                                                           std::int64_t version,
                                                                           const boost::json::value& doc) {
  const auto key = std::make_pair(name, version);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  auto compiled = core::CompiledSchema::compile(doc);  // outside the lock: it is slow
  if (!compiled) return compiled;
  std::lock_guard lock(mu_);
  return cache_.try_emplace(key, *compiled).first->second;
}

}  // namespace henge::service
