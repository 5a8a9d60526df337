#pragma once
// Compiled schemas by (name, version). Compiling is far dearer than validating, and
// a version never changes once stored, so each is compiled once per process.

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"
#include "core/schema.hpp"

namespace henge::service {

class SchemaCache final {
 public:
  /// The compiled form of version `version` of `name`, whose document is `doc`.
  core::Result<std::shared_ptr<const core::CompiledSchema>> get(const std::string& name, std::int64_t version,
                                                                const boost::json::value& doc);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const core::CompiledSchema>> cache_;
};

}  // namespace henge::service
