#pragma once
// Errors as HTTP: the one mapping of error codes to statuses, and RFC 9457
// problem+json bodies.

#include <string_view>

#include "core/error.hpp"
#include "server/http_types.hpp"

namespace henge::server {

/// The HTTP status for an error code. The only place that knows it.
int http_status(core::Errc code) noexcept;

/// An application/problem+json response for `e`; `request_id` goes in the body.
Response problem(const core::Error& e, std::string_view request_id);

}  // namespace henge::server
