#include "core/json_policy.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/json_pointer.hpp"

namespace henge::core {
namespace json = boost::json;

namespace {

constexpr std::size_t kShownNumber = 40;  // characters of an offending number shown back

// Where the parser is, as the containers it is inside: enough to name an offence by
// its JSON pointer.
struct Frame {
  bool array = false;
  std::size_t index = 0;  // arrays: the element being read
  std::string key;        // objects: the member being read
};

std::string pointer_of(const std::vector<Frame>& frames) {
  JsonPointer p;
  for (const auto& f : frames) p = p.child(f.array ? std::to_string(f.index) : f.key);
  return p.str();
}

// A basic_parser handler that builds nothing: it only checks what json::parse would
// let through silently (non-finite and rounded numbers) and the depth, with the place.
class Checker {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit Checker(std::size_t max_depth) : max_depth_(max_depth) {}

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code& ec) { return open(true, ec); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return close(); }
  bool on_object_begin(boost::system::error_code& ec) { return open(false, ec); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return close(); }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code&) { return scalar(); }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    frames_.back().key.swap(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view s, boost::system::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view, boost::system::error_code&) { return number(); }
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code&) { return number(); }
  bool on_double(double d, json::string_view s, boost::system::error_code& ec) {
    // An integer that fits int64 or uint64 never comes here: written as one, it does not fit.
    const bool integral =
        s.find_first_of(".eE") == json::string_view::npos && number_.find_first_of(".eE") == std::string::npos;
    if (std::isfinite(d) && !integral) return number();  // the common case: nothing to build
    number_.append(s.data(), s.size());
    const std::string shown = number_.size() > kShownNumber ? number_.substr(0, kShownNumber) + "…" : number_;
    if (!std::isfinite(d)) return fail("the number " + shown + " is out of range for a 64-bit float", ec);
    if (integral) {
      return fail("the integer " + shown +
                      " is outside the 64-bit range (-9223372036854775808 to 18446744073709551615); "
                      "send it as a string to keep every digit",
                  ec);
    }
    return number();
  }
  bool on_bool(bool, boost::system::error_code&) { return scalar(); }
  bool on_null(boost::system::error_code&) { return scalar(); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

  [[nodiscard]] const std::string& problem() const { return problem_; }
  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  bool open(bool array, boost::system::error_code& ec) {
    if (frames_.size() >= max_depth_) {
      return fail("nested deeper than " + std::to_string(max_depth_) + " arrays and objects", ec);
    }
    frames_.push_back(Frame{array, 0, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return scalar();
  }
  bool number() {
    number_.clear();
    return scalar();
  }
  // A value ended: the next one in an array has the next index.
  bool scalar() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  bool fail(std::string problem, boost::system::error_code& ec) {
    problem_ = std::move(problem);
    where_ = pointer_of(frames_);
    ec = json::error::exception;  // any code: the message above is what is reported
    return false;
  }

  std::size_t max_depth_;
  std::vector<Frame> frames_;
  std::string key_;
  std::string number_;
  std::string problem_;
  std::string where_;
};

Error offence(std::string_view what, const std::string& problem, const std::string& where) {
  const std::string at = where.empty() ? "at the top" : "at " + where;
  return make_error(Errc::invalid, std::string(what) + ": " + problem + " (" + at + ")", {{"", where, problem}});
}

}  // namespace

Result<json::value> parse_json(std::string_view text, std::string_view what, std::size_t max_depth) {
  json::parse_options opts;
  // The checker counts depth itself, to say where; the parser's own limit stays above.
  opts.max_depth = max_depth + 1;
  json::basic_parser<Checker> checker(opts, max_depth);
  boost::system::error_code ec;
  checker.write_some(false, text.data(), text.size(), ec);
  if (!checker.handler().problem().empty()) {
    return offence(what, checker.handler().problem(), checker.handler().where());
  }
  if (ec) return make_error(Errc::invalid, std::string(what) + " is not valid JSON: " + ec.message());
  opts.max_depth = max_depth;
  auto value = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) return make_error(Errc::invalid, std::string(what) + " is not valid JSON: " + ec.message());
  return value;
}

namespace {

// Depth-first over `doc` with an explicit stack, stopping below max_depth, so that a
// document of any depth is checked without recursion.
struct Walk {
  const json::value* value;
  std::size_t depth;
  std::size_t parent;
  std::string_view key;  // what led here from the parent: a key, or
  std::size_t index;     // an index when the parent is an array
};

}  // namespace

Status check_json(const json::value& doc, std::string_view what, std::size_t max_depth) {
  std::vector<Walk> nodes{{&doc, 0, 0, {}, 0}};
  auto pointer = [&nodes](std::size_t i) {
    std::vector<std::size_t> path;
    for (; i != 0; i = nodes[i].parent) path.push_back(i);
    JsonPointer p;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      const auto& n = nodes[*it];
      p = p.child(nodes[n.parent].value->is_array() ? std::to_string(n.index) : std::string(n.key));
    }
    return p.str();
  };
  auto fail = [&](std::size_t i, const std::string& problem) -> Status { return offence(what, problem, pointer(i)); };
  std::vector<std::size_t> todo{0};
  while (!todo.empty()) {
    const std::size_t i = todo.back();
    todo.pop_back();
    const json::value& v = *nodes[i].value;
    const std::size_t depth = nodes[i].depth;
    if (v.is_double() && !std::isfinite(v.get_double())) return fail(i, "a number is not finite");
    if (const auto* str = v.if_string(); str != nullptr && !valid_utf8(std::string_view(str->data(), str->size()))) {
      return fail(i, "a string is not UTF-8");
    }
    if (!v.is_object() && !v.is_array()) continue;
    if (depth + 1 > max_depth) {
      return fail(i, "nested deeper than " + std::to_string(max_depth) + " arrays and objects");
    }
    if (const auto* o = v.if_object()) {
      for (const auto& [k, sub] : *o) {
        if (!valid_utf8(std::string_view(k.data(), k.size()))) return fail(i, "a key is not UTF-8");
        nodes.push_back({&sub, depth + 1, i, std::string_view(k.data(), k.size()), 0});
        todo.push_back(nodes.size() - 1);
      }
    } else {
      const auto& a = v.get_array();
      for (std::size_t n = 0; n < a.size(); ++n) {
        nodes.push_back({&a[n], depth + 1, i, {}, n});
        todo.push_back(nodes.size() - 1);
      }
    }
  }
  return {};
}

namespace {

// The length of the well-formed UTF-8 character at `p` (before `end`), or 0.
std::size_t utf8_char(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = *p;
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) <= n) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i <= n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  return n + 1;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const auto n = utf8_char(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view text) {
  if (valid_utf8(text)) return std::string(text);
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const auto n = utf8_char(p, end);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++p;
    } else {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    }
  }
  return out;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes;
  // Back off over continuation bytes to the start of the character that was cut.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

json::value parse_answer(std::string_view text, boost::system::error_code& ec) {
  json::parse_options opts;
  opts.max_depth = kMaxEnvelopeDepth;
  return json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
}

}  // namespace henge::core
