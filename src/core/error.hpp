#pragma once
// The one error type of henge's domain and store layers. The mapping of codes to
// HTTP statuses lives in server/problem.cpp and nowhere else.

#include <string>
#include <vector>

namespace henge::core {

/// What went wrong, independent of transport. Numbers are never reused.
enum class Errc {
  invalid = 1,            ///< malformed input: bad JSON, bad id, bad JSON pointer
  validation_failed = 2,  ///< well-formed, but the result breaks a schema
  not_found = 3,
  conflict = 4,             ///< already exists, or still in use
  precondition_failed = 5,  ///< If-Match did not match
  unauthorized = 6,
  forbidden = 7,
  too_large = 8,
  unsupported_media_type = 9,
  method_not_allowed = 10,
  rate_limited = 11,
  unavailable = 12,
  internal = 13,
  header_too_large = 14,  ///< the request's header is over the server's limit
  not_implemented = 15,   ///< a request needs something henged does not implement (a transfer coding)
  uri_too_long = 16,      ///< the request target is over the server's limit
  request_timeout = 17,   ///< the client sent its request too slowly
};

/// One problem with one field; `device` is set when the problem is a device's.
struct FieldError {
  std::string device;
  std::string path;
  std::string message;
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::vector<FieldError> details;
};

inline Error make_error(Errc code, std::string message, std::vector<FieldError> details = {}) {
  return Error{code, std::move(message), std::move(details)};
}

}  // namespace henge::core
