#pragma once
// The rules for the names operators choose: device ids, group, schema and token names.

#include <string_view>

#include "core/result.hpp"

namespace henge::core {

/// `^[a-z0-9][a-z0-9._-]{0,62}$` — safe in URLs, file names and DNS labels.
bool is_valid_name(std::string_view name) noexcept;

/// Errc::invalid naming `what` when `name` breaks is_valid_name().
Status check_name(std::string_view what, std::string_view name);

}  // namespace henge::core
