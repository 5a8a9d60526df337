#pragma once
// The CLI's view of the admin API: JSON in, JSON out, and every non-2xx answer turned
// into an error that carries the server's problem detail.

#include <boost/json/value.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/http_client.hpp"

namespace henge::cli {

struct ApiAnswer {
  int status = 0;
  boost::json::value body;  ///< null when the answer had none
  std::string etag;
};

struct ApiCall {
  std::string method = "GET";
  std::string path;
  std::optional<boost::json::value> body;
  std::string content_type = "application/json";
  std::string if_match;  ///< an ETag, sent as If-Match when set
};

class ApiClient final {
 public:
  ApiClient(client::Url server, std::string token, std::chrono::milliseconds timeout);

  /// Makes the call; a transport failure or a non-2xx answer is an error whose message
  /// is what the operator should read (status, title, detail, field errors).
  core::Result<ApiAnswer> call(const ApiCall& call);

  /// Follows a server-sent event stream (GET), handing each piece of body to `on_data`
  /// until it returns false or the stream ends.
  core::Result<client::StreamOutcome> stream(const std::string& path, const std::string& last_event_id,
                                             const std::function<bool(std::string_view)>& on_data);

  client::HttpClient& http() { return http_; }

 private:
  client::HttpClient http_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

/// Percent-encodes one URL path segment or query value.
std::string url_encode(std::string_view text);

/// "?a=1&b=2" from the pairs whose value is not empty ("" when none is).
std::string query_string(std::initializer_list<std::pair<const char*, std::string>> params);

/// The error code an HTTP status stands for (the inverse of henged's mapping).
core::Errc errc_for_status(int status);

/// The error message for a problem+json (or any non-2xx) answer.
std::string describe_problem(int status, const std::string& body);

}  // namespace henge::cli
