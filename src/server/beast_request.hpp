#pragma once
// A request as Beast parsed it, turned into henge's own Request (lower-case header
// names, path and query apart). Included only where Beast already is: the server and the
// HTTP fuzz target, which must see requests exactly as the server hands them on.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "server/http_types.hpp"

namespace henge::server {

Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& in, const std::string& remote);

}  // namespace henge::server
