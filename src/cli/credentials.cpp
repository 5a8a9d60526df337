#include "cli/credentials.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>

#include "files/atomic_file.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

std::string credentials_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/henge/credentials.json";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/henge/credentials.json";
}

core::Result<Credentials> load_credentials() {
  const auto path = credentials_path();
  auto text = files::read_file(path, std::size_t{64} * 1024);
  if (!text.ok()) {
    if (text.error().code == Errc::not_found) return Credentials{};
    return std::move(text).error();
  }
  boost::system::error_code ec;
  const auto doc = json::parse(*text, ec);
  const auto* obj = ec ? nullptr : doc.if_object();
  const auto* server = obj != nullptr ? obj->if_contains("server") : nullptr;
  const auto* token = obj != nullptr ? obj->if_contains("token") : nullptr;
  if (server == nullptr || !server->is_string() || token == nullptr || !token->is_string()) {
    return make_error(Errc::invalid, path + " is damaged; run henge login again");
  }
  return Credentials{std::string(server->as_string()), std::string(token->as_string())};
}

core::Status save_credentials(const Credentials& credentials) {
  const auto path = std::filesystem::path(credentials_path());
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return make_error(Errc::unavailable, "cannot create " + path.parent_path().string() + ": " + ec.message());
  const json::object doc{{"server", credentials.server}, {"token", credentials.token}};
  return files::write_file_atomically(path.string(), json::serialize(doc) + "\n", 0600);
}

}  // namespace henge::cli
