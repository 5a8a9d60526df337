#include "core/time_format.hpp"

#include <chrono>
#include <cstdio>

namespace henge::core {

std::string format_time(TimeMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[64];  // ample: the compiler cannot see that every field is in range
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), static_cast<long>(hms.subseconds().count()));
  return buf;
}

namespace {

// Reads exactly `n` digits at `pos`, advancing it.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view one_of) {
  if (pos >= text.size() || one_of.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<TimeMs> parse_time(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const auto y = digits(text, pos, 4);
  if (!y || !expect(text, pos, "-")) return std::nullopt;
  const auto mo = digits(text, pos, 2);
  if (!mo || !expect(text, pos, "-")) return std::nullopt;
  const auto d = digits(text, pos, 2);
  if (!d || !expect(text, pos, "Tt")) return std::nullopt;
  const auto h = digits(text, pos, 2);
  if (!h || !expect(text, pos, ":")) return std::nullopt;
  const auto mi = digits(text, pos, 2);
  if (!mi || !expect(text, pos, ":")) return std::nullopt;
  const auto s = digits(text, pos, 2);
  if (!s) return std::nullopt;
  long long millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    long long scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;  // digits past the millisecond add nothing
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  long long offset_minutes = 0;
  if (expect(text, pos, "Zz")) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool ahead = text[pos++] == '+';
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ":")) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = (ahead ? 1 : -1) * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  // A leap second (:60) is accepted as the second before the next minute.
  if (*y < 1970 || !ymd.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  const auto t =
      sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} + milliseconds{millis} - minutes{offset_minutes};
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  if (ms < 0) return std::nullopt;
  return ms;
}

}  // namespace henge::core
