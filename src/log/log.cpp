#include "log/log.hpp"

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "core/json_policy.hpp"
#include "core/time_format.hpp"

namespace henge::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};
std::mutex g_mu;

const char* name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

// Text values are quoted when they hold spaces, quotes or '=' so a line stays parseable.
void append_text_value(std::string& line, const std::string& v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\t\n") == std::string::npos;
  if (plain) {
    line += v;
    return;
  }
  line += boost::json::serialize(boost::json::string(v));
}

}  // namespace

void configure(Level level, Format format) {
  g_level = level;
  g_format = format;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (text == name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string line;
  if (g_format.load(std::memory_order_relaxed) == Format::json) {
    boost::json::object o;
    o["time"] = core::format_time(now);
    o["level"] = name(level);
    o["msg"] = message;
    for (const auto& f : fields) {
      boost::system::error_code ec;
      // A number field is the digits to_chars wrote, so it parses; a string otherwise.
      if (f.number) {
        auto n = boost::json::parse(f.value, ec);
        if (!ec) {
          o[f.key] = std::move(n);
          continue;
        }
      }
      o[f.key] = core::utf8_lossy(f.value);  // a field may quote a client's raw bytes
    }
    line = boost::json::serialize(o);
  } else {
    line = core::format_time(now);
    line += ' ';
    line += name(level);
    line += ' ';
    line += message;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      append_text_value(line, f.value);
    }
  }
  line += '\n';
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace henge::log
