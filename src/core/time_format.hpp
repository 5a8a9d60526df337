#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.hpp"

namespace henge::core {

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-26T18:11:42.123Z".
std::string format_time(TimeMs t);

/// An RFC 3339 date-time ("2026-11-26T18:11:42Z", fractions of a second and a numeric
/// offset allowed) as milliseconds since the epoch; nullopt when it is not one or lies
/// outside years 1970–9999.
std::optional<TimeMs> parse_time(std::string_view text);

}  // namespace henge::core
