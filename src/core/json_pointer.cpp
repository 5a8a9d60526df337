#include "core/json_pointer.hpp"

#include "core/json_policy.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace henge::core {
namespace json = boost::json;

Result<JsonPointer> JsonPointer::parse(std::string_view text) {
  if (text.empty()) return JsonPointer{};
  if (text.front() != '/') {
    return make_error(Errc::invalid, "a JSON pointer must be empty or start with '/'");
  }
  std::vector<std::string> tokens;
  std::string current;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(current));
      current.clear();
      continue;
    }
    if (text[i] == '~') {
      if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1')) {
        return make_error(Errc::invalid, "'~' in a JSON pointer must be followed by '0' or '1'");
      }
      current.push_back(text[i + 1] == '0' ? '~' : '/');
      ++i;
      continue;
    }
    current.push_back(text[i]);
  }
  // Its tokens become keys of JSON objects, which must be UTF-8 (a pointer taken from
  // a URL's percent-encoding can be any bytes).
  if (!valid_utf8(text)) return make_error(Errc::invalid, "a JSON pointer must be UTF-8");
  return JsonPointer{std::move(tokens)};
}

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JsonPointer::str() const {
  std::string out;
  for (const auto& t : tokens_) {
    out.push_back('/');
    out += escape_pointer_token(t);
  }
  return out;
}

JsonPointer JsonPointer::child(std::string_view token) const {
  auto tokens = tokens_;
  tokens.emplace_back(token);
  return JsonPointer{std::move(tokens)};
}

bool JsonPointer::is_prefix_of(const JsonPointer& other) const {
  if (tokens_.size() > other.tokens_.size()) return false;
  return std::equal(tokens_.begin(), tokens_.end(), other.tokens_.begin());
}

namespace {

// RFC 6901 §4: an array index is "0" or digits without a leading zero.
bool parse_index(const std::string& token, std::size_t& out) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return false;
  const auto* end = token.data() + token.size();
  auto [p, ec] = std::from_chars(token.data(), end, out);
  return ec == std::errc{} && p == end;
}

}  // namespace

const json::value* find(const json::value& doc, const JsonPointer& ptr) {
  const json::value* cur = &doc;
  for (const auto& token : ptr.tokens()) {
    if (const auto* obj = cur->if_object()) {
      cur = obj->if_contains(token);
    } else if (const auto* arr = cur->if_array()) {
      std::size_t i = 0;
      if (!parse_index(token, i) || i >= arr->size()) return nullptr;
      cur = &(*arr)[i];
    } else {
      return nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

Status set_at(json::value& doc, const JsonPointer& ptr, json::value v) {
  if (ptr.is_root()) {
    doc = std::move(v);
    return {};
  }
  json::value* cur = &doc;
  const auto& tokens = ptr.tokens();
  for (std::size_t depth = 0; depth < tokens.size(); ++depth) {
    const auto& token = tokens[depth];
    const bool last = depth + 1 == tokens.size();
    if (cur->is_null()) cur->emplace_object();
    if (auto* obj = cur->if_object()) {
      if (last) {
        (*obj)[token] = std::move(v);
        return {};
      }
      cur = &(*obj)[token];
    } else if (auto* arr = cur->if_array()) {
      std::size_t i = 0;
      if (token == "-" && last) {
        arr->push_back(std::move(v));
        return {};
      }
      if (!parse_index(token, i) || i >= arr->size()) {
        return make_error(Errc::invalid, "no array element '" + token + "' at " +
                                             JsonPointer{{tokens.begin(), tokens.begin() + depth}}.str());
      }
      if (last) {
        (*arr)[i] = std::move(v);
        return {};
      }
      cur = &(*arr)[i];
    } else {
      return make_error(Errc::invalid,
                        "cannot set below a scalar at " + JsonPointer{{tokens.begin(), tokens.begin() + depth}}.str());
    }
  }
  return {};
}

Status remove_at(json::value& doc, const JsonPointer& ptr) {
  if (ptr.is_root()) return make_error(Errc::invalid, "cannot remove the root");
  std::vector<std::string> parent_tokens(ptr.tokens().begin(), ptr.tokens().end() - 1);
  const JsonPointer parent_ptr{std::move(parent_tokens)};
  auto* parent = const_cast<json::value*>(find(doc, parent_ptr));  // find does not mutate
  const auto& last = ptr.tokens().back();
  if (parent != nullptr) {
    if (auto* obj = parent->if_object()) {
      if (obj->erase(last) == 1) return {};
    } else if (auto* arr = parent->if_array()) {
      std::size_t i = 0;
      if (parse_index(last, i) && i < arr->size()) {
        arr->erase(arr->begin() + static_cast<std::ptrdiff_t>(i));
        return {};
      }
    }
  }
  return make_error(Errc::not_found, "nothing at " + ptr.str());
}

}  // namespace henge::core
