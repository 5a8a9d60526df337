#include "core/names.hpp"

#include <string>

namespace henge::core {

bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Status check_name(std::string_view what, std::string_view name) {
  if (is_valid_name(name)) return {};
  return make_error(Errc::invalid,
                    std::string("invalid ") + std::string(what) + ": must match ^[a-z0-9][a-z0-9._-]{0,62}$");
}

}  // namespace henge::core
