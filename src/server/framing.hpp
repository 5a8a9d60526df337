#pragma once
// How a request's message is framed (RFC 9112), checked once its header is in and
// before any body is read. Beast reads a Transfer-Encoding whose last coding is not
// `chunked` as "no body", which would leave the body to be read as the next request
// on the connection (request smuggling); RFC 9112 §6.3 asks for 400 and a close.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace henge::server {

/// Header fields as received: names in lower case, in order, repeats kept.
using HeaderFields = std::vector<std::pair<std::string, std::string>>;

/// Why the request cannot be served as framed, or nullopt. Every error is answered
/// and the connection closed, since what follows on it cannot be trusted:
/// - Errc::invalid: a Transfer-Encoding whose final coding is not `chunked` (or is
///   `chunked` twice), one beside Content-Length, one on HTTP/1.0; HTTP/1.1 without
///   exactly one Host.
/// - Errc::not_implemented: a transfer coding other than `chunked` (henged
///   implements no other).
/// - Errc::uri_too_long: a target longer than `max_target` bytes.
std::optional<core::Error> framing_error(unsigned version, std::string_view target, const HeaderFields& fields,
                                         std::size_t max_target);

/// The origin-form of `target`: an absolute-form target (`http://host/path?q`, which
/// a server must accept) loses its scheme and authority; other forms are unchanged.
std::string origin_form(std::string_view target);

}  // namespace henge::server
