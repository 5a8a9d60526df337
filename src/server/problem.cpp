#include "server/problem.hpp"

#include <boost/json.hpp>

#include "core/json_policy.hpp"

namespace henge::server {

int http_status(core::Errc code) noexcept {
  using core::Errc;
  switch (code) {
    case Errc::invalid:
      return 400;
    case Errc::unauthorized:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::method_not_allowed:
      return 405;
    case Errc::conflict:
      return 409;
    case Errc::precondition_failed:
      return 412;
    case Errc::too_large:
      return 413;
    case Errc::unsupported_media_type:
      return 415;
    case Errc::validation_failed:
      return 422;
    case Errc::rate_limited:
      return 429;
    case Errc::unavailable:
      return 503;
    case Errc::internal:
      return 500;
    case Errc::header_too_large:
      return 431;
    case Errc::not_implemented:
      return 501;
    case Errc::uri_too_long:
      return 414;
    case Errc::request_timeout:
      return 408;
  }
  return 500;
}

namespace {
const char* title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}
}  // namespace

Response problem(const core::Error& e, std::string_view request_id) {
  const int status = http_status(e.code);
  boost::json::object body;
  body["type"] = "about:blank";
  body["title"] = title(status);
  body["status"] = status;
  // A message may quote what the client sent (a raw path); JSON strings are UTF-8.
  body["detail"] = core::utf8_lossy(e.message);
  if (!request_id.empty()) body["request_id"] = request_id;
  if (!e.details.empty()) {
    boost::json::array errors;
    for (const auto& d : e.details) {
      boost::json::object item;
      if (!d.device.empty()) item["device"] = d.device;
      item["path"] = core::utf8_lossy(d.path);
      item["message"] = core::utf8_lossy(d.message);
      errors.push_back(std::move(item));
    }
    body["errors"] = std::move(errors);
  }
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(body);
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace henge::server
