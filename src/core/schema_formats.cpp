#include "core/schema_formats.hpp"

#include <cstddef>

namespace henge::core {
namespace {

// The value of s[pos, pos + n) when it is n decimal digits, else -1.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool at(std::string_view s, std::size_t pos, char c) {
  return pos < s.size() && s[pos] == c;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool hh_mm(std::string_view s, std::size_t pos) {
  const int h = digits(s, pos, 2);
  const int m = digits(s, pos + 3, 2);
  return h >= 0 && h <= 23 && at(s, pos + 2, ':') && m >= 0 && m <= 59;
}

}  // namespace

bool is_rfc3339_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int year = digits(s, 0, 4);
  const int month = digits(s, 5, 2);
  const int day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12) return false;
  return day >= 1 && day <= days_in_month(year, month);
}

bool is_rfc3339_time(std::string_view s) {
  if (!hh_mm(s, 0) || !at(s, 5, ':')) return false;
  const int second = digits(s, 6, 2);
  if (second < 0 || second > 60) return false;
  std::size_t pos = 8;
  if (at(s, pos, '.')) {
    const std::size_t first = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == first) return false;
  }
  if (at(s, pos, 'Z') || at(s, pos, 'z')) return pos + 1 == s.size();
  if (!at(s, pos, '+') && !at(s, pos, '-')) return false;
  return hh_mm(s, pos + 1) && pos + 6 == s.size();
}

bool is_rfc3339_date_time(std::string_view s) {
  return s.size() > 11 && (s[10] == 'T' || s[10] == 't') && is_rfc3339_date(s.substr(0, 10)) &&
         is_rfc3339_time(s.substr(11));
}

}  // namespace henge::core
