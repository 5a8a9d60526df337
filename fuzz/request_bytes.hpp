#pragma once
// A fuzz input as the request henged's server would hand its handler: Beast's parser
// with the server's header limit and a body limit a fuzzer can reach, or nullopt when
// the bytes are not one whole request.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>

#include "server/beast_request.hpp"

namespace henge::fuzz {

inline std::optional<server::Request> request_from_bytes(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(64 << 10);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return std::nullopt;
  return server::to_request(parser.release(), "127.0.0.1:40000");
}

}  // namespace henge::fuzz
