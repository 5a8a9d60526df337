#pragma once
// The config document a device receives, parsed and checked: its sha256 is verified
// over the exact bytes of its `config` member, which is what the agent writes to disk.

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace henge::agent {

struct ConfigDocument {
  std::int64_t revision = 0;
  std::string schema;  ///< "name@version", or "" when the device has none
  std::string sha256;
  std::string config_bytes;  ///< the config exactly as received: what the output file holds
  boost::json::value config;
};

/// Parses a document (the data of a `config` event, or a poll's body) and checks its
/// hash; `invalid` says what is wrong with it.
core::Result<ConfigDocument> parse_config_document(std::string_view text);

}  // namespace henge::agent
