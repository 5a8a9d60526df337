// JSON Schema (draft-07) compilation and validation: the input is a schema and a config,
// split at the first NUL byte. Operators send schemas and configs; neither may crash
// henged, hang it, or make it validate the same config two ways.

#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/schema.hpp"

namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find('\0');
  if (cut == std::string_view::npos) return 0;
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  auto schema = json::parse(input.substr(0, cut), ec, {}, options);
  if (ec) return 0;
  const auto config = json::parse(input.substr(cut + 1), ec, {}, options);
  if (ec) return 0;
  auto compiled = henge::core::CompiledSchema::compile(schema);
  if (!compiled) return 0;
  const auto first = (*compiled)->validate(config);
  const auto second = (*compiled)->validate(config);
  if (first.size() != second.size()) std::abort();
  (void)(*compiled)->validate((*compiled)->defaults());
  return 0;
}
