#pragma once

#include <string>

#include "core/model.hpp"

namespace henge::core {

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-26T18:11:42.123Z".
std::string format_time(TimeMs t);

}  // namespace henge::core
