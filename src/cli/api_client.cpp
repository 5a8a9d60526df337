#include "cli/api_client.hpp"

#include <boost/json.hpp>

#include "core/json_policy.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string query_string(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!value.empty()) out += (out.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  }
  return out;
}

core::Errc errc_for_status(int status) {
  switch (status) {
    case 400:
      return Errc::invalid;
    case 401:
      return Errc::unauthorized;
    case 403:
      return Errc::forbidden;
    case 404:
      return Errc::not_found;
    case 409:
      return Errc::conflict;
    case 412:
      return Errc::precondition_failed;
    case 413:
      return Errc::too_large;
    case 415:
      return Errc::unsupported_media_type;
    case 422:
      return Errc::validation_failed;
    case 429:
      return Errc::rate_limited;
    default:
      return status >= 500 ? Errc::unavailable : Errc::invalid;
  }
}

std::string describe_problem(int status, const std::string& body) {
  std::string out = std::to_string(status);
  boost::system::error_code ec;
  const auto doc = core::parse_answer(body, ec);
  const auto* obj = ec ? nullptr : doc.if_object();
  if (obj == nullptr) return out + (body.empty() ? "" : ": " + body.substr(0, 200));
  if (const auto* title = obj->if_contains("title"); title != nullptr && title->is_string()) {
    out += " " + std::string(title->as_string());
  }
  if (const auto* detail = obj->if_contains("detail"); detail != nullptr && detail->is_string()) {
    out += ": " + std::string(detail->as_string());
  }
  if (const auto* errors = obj->if_contains("errors"); errors != nullptr && errors->is_array()) {
    for (const auto& e : errors->as_array()) {
      if (!e.is_object()) continue;
      const auto& o = e.as_object();
      out += "\n  ";
      for (const char* key : {"device", "path", "message"}) {
        if (const auto* v = o.if_contains(key); v != nullptr && v->is_string() && !v->as_string().empty()) {
          out += std::string(v->as_string()) + (std::string_view(key) == "message" ? "" : ": ");
        }
      }
    }
  }
  return out;
}

ApiClient::ApiClient(client::Url server, std::string token, std::chrono::milliseconds timeout)
    : http_(std::move(server), client::TlsOptions{}), token_(std::move(token)), timeout_(timeout) {}

core::Result<ApiAnswer> ApiClient::call(const ApiCall& call) {
  client::HttpRequest request;
  request.method = call.method;
  request.path = call.path;
  request.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (call.body) {
    request.headers.push_back({"Content-Type", call.content_type});
    request.body = json::serialize(*call.body);
  }
  if (!call.if_match.empty()) request.headers.push_back({"If-Match", call.if_match});
  auto answer = http_.request(request, timeout_);
  if (!answer.ok())
    return make_error(Errc::unavailable,
                      "cannot reach " + http_.server().host_header() + ": " + answer.error().message);
  if (answer->status / 100 != 2) {
    return make_error(errc_for_status(answer->status), describe_problem(answer->status, answer->body));
  }
  ApiAnswer out;
  out.status = answer->status;
  out.etag = answer->header("ETag");
  if (!answer->body.empty()) {
    boost::system::error_code ec;
    out.body = core::parse_answer(answer->body, ec);
    if (ec) return make_error(Errc::internal, "the server's answer is not JSON");
  }
  return out;
}

core::Result<client::StreamOutcome> ApiClient::stream(const std::string& path, const std::string& last_event_id,
                                                      const std::function<bool(std::string_view)>& on_data) {
  client::HttpRequest request;
  request.path = path;
  request.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "text/event-stream"}};
  if (!last_event_id.empty()) request.headers.push_back({"Last-Event-ID", last_event_id});
  // No idle limit beyond what keepalives allow: henged sends one every 15 s by default.
  auto outcome = http_.stream(request, timeout_, std::chrono::minutes(2), nullptr, on_data);
  if (!outcome.ok()) {
    return make_error(Errc::unavailable,
                      "cannot reach " + http_.server().host_header() + ": " + outcome.error().message);
  }
  if (outcome->head.status / 100 != 2) {
    return make_error(errc_for_status(outcome->head.status),
                      describe_problem(outcome->head.status, outcome->head.body));
  }
  return outcome;
}

}  // namespace henge::cli
