#pragma once
// The file `henge login` writes: the server and token to use when neither flags nor
// HENGE_SERVER/HENGE_TOKEN give them. $XDG_CONFIG_HOME/henge/credentials.json, else
// ~/.config/henge/credentials.json; mode 0600.

#include <string>

#include "core/result.hpp"

namespace henge::cli {

struct Credentials {
  std::string server;
  std::string token;
};

std::string credentials_path();
/// An absent file is empty credentials; a damaged one is an error.
core::Result<Credentials> load_credentials();
core::Status save_credentials(const Credentials& credentials);

}  // namespace henge::cli
