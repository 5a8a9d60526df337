#pragma once
// Structured logging to stderr, one line per event, as text or JSON. Thread-safe.
// Never pass a secret as a field: logs are shipped and kept.

#include <charconv>
#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace henge::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
enum class Format { text, json };

/// One field of a log line. A number given as one stays a number in JSON logs.
struct Field {
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  template <class N>
  requires(std::integral<N> || std::floating_point<N>) && (!std::same_as<N, bool>)Field(std::string_view k, N n)
      : key(k),
  number(true) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    value.assign(buf, ec == std::errc{} ? end : buf);
  }

  std::string_view key;
  std::string value;
  bool number = false;
};

/// Sets the threshold and the format; call once at start-up.
void configure(Level level, Format format);
/// Parses "debug", "info", "warn", "error"; false when unknown.
bool parse_level(std::string_view text, Level& out);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::error, m, f);
}

}  // namespace henge::log
