#include "server/router.hpp"

#include <algorithm>

namespace henge::server {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string raw_name(pair.substr(0, eq));
    std::string raw_value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    std::replace(raw_name.begin(), raw_name.end(), '+', ' ');
    std::replace(raw_value.begin(), raw_value.end(), '+', ' ');
    std::string name, value;
    if (!percent_decode(raw_name, name) || !percent_decode(raw_value, value)) return false;
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

void Router::add(std::string_view method, std::string_view pattern, const void* handler) {
  Route r{std::string(method), {}, handler};
  for (auto seg : split_path(pattern)) {
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      r.segments.emplace_back(seg[seg.size() - 2] == '*' ? "{*}" : "{}");
    } else {
      r.segments.emplace_back(seg);
    }
  }
  routes_.push_back(std::move(r));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  // HEAD is GET without the body (RFC 9110 §9.3.2): wherever GET is, HEAD is.
  if (method == "HEAD") method = "GET";
  const auto parts = split_path(path);
  RouteMatch result;
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    std::vector<std::string> params;
    bool ok = true;
    bool bad = false;
    std::size_t i = 0;
    for (; i < route.segments.size() && ok; ++i) {
      const auto& seg = route.segments[i];
      if (seg == "{*}") {
        if (i >= parts.size()) {
          ok = false;
          break;
        }
        // The rest, '/'-joined as sent, decoded once as a whole.
        const auto begin = parts[i].data();
        const auto end = parts.back().data() + parts.back().size();
        std::string decoded;
        if (!percent_decode(std::string_view(begin, static_cast<std::size_t>(end - begin)), decoded)) bad = true;
        params.push_back(std::move(decoded));
        i = parts.size();
        break;
      }
      if (i >= parts.size()) {
        ok = false;
      } else if (seg == "{}") {
        std::string decoded;
        if (parts[i].empty()) {
          ok = false;
        } else if (!percent_decode(parts[i], decoded)) {
          bad = true;
        }
        params.push_back(std::move(decoded));
      } else if (seg != parts[i]) {
        ok = false;
      }
    }
    if (!ok || i != parts.size()) continue;
    if (bad) {
      result.kind = RouteMatch::Kind::bad_path;
      return result;
    }
    if (route.method == method) {
      result.kind = RouteMatch::Kind::found;
      result.handler = route.handler;
      result.params = std::move(params);
      return result;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
      if (route.method == "GET") allowed.emplace_back("HEAD");
    }
  }
  if (!allowed.empty()) {
    result.kind = RouteMatch::Kind::method_not_allowed;
    for (const auto& m : allowed) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += m;
    }
  }
  return result;
}

}  // namespace henge::server
