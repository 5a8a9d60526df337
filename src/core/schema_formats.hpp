#pragma once
// The `format`s of JSON Schema draft-07 that henge checks: RFC 3339's full-date,
// full-time and date-time. Hand-written rather than regular expressions: each is a
// fixed shape plus range checks (days in the month, leap years) a pattern cannot say.

#include <string_view>

namespace henge::core {

/// "2026-02-28": four-digit year, month 01–12, a day that month has in that year.
bool is_rfc3339_date(std::string_view s);

/// "16:52:45Z", "16:52:45.5+02:00": hour 00–23, minute 00–59, second 00–60 (a leap
/// second), an optional fraction, and a zone (Z or ±hh:mm).
bool is_rfc3339_time(std::string_view s);

/// A date, "T" (or "t"), a time.
bool is_rfc3339_date_time(std::string_view s);

}  // namespace henge::core
