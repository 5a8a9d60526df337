#pragma once
// Serialized configs by their digest, for one write transaction: a group write stores
// the same config for thousands of devices, twice each (desired and history), and
// serializing it is most of the work. The digest is the SHA-256 of exactly this
// serialization (the device protocol's `sha256`), so it names the text: callers must
// never pair a config with another's digest (debug builds check).

#include <boost/json/value.hpp>
#include <cassert>
#include <string>
#include <unordered_map>

#include "store/stored_json.hpp"

namespace henge::store {

class ConfigTexts final {
 public:
  /// The text of `config`, whose digest is `sha256` (empty: not known, not kept).
  const std::string& of(const std::string& sha256, const boost::json::value& config) {
    if (sha256.empty()) return scratch_ = stored_text(config);
    auto [it, fresh] = texts_.try_emplace(sha256);
    if (fresh) {
      it->second = stored_text(config);
    } else {
      assert(it->second == stored_text(config) && "a config stored with another config's digest");
    }
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::string> texts_;
  std::string scratch_;
};

}  // namespace henge::store
