// JSON Merge Patch (RFC 7396): the input is a target document and a patch, split at the
// first NUL byte. Beyond not crashing, it checks what the config engine relies on:
// applying a patch twice changes nothing more than applying it once, and merge_diff
// yields a patch that turns one document into the other when it can.

#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/merge_patch.hpp"

namespace json = boost::json;

namespace {

bool has_null_member(const json::value& v) {
  if (const auto* o = v.if_object()) {
    for (const auto& [k, member] : *o) {
      if (member.is_null() || has_null_member(member)) return true;
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& item : *a) {
      if (has_null_member(item)) return true;
    }
  }
  return false;
}

bool parse(std::string_view text, json::value& out) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  out = json::parse(text, ec, {}, options);
  return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find('\0');
  if (cut == std::string_view::npos) return 0;
  json::value target;
  json::value patch;
  if (!parse(input.substr(0, cut), target) || !parse(input.substr(cut + 1), patch)) return 0;

  const auto once = henge::core::apply_merge_patch(target, patch);
  const auto twice = henge::core::apply_merge_patch(once, patch);
  if (once != twice) std::abort();  // a merge patch is idempotent

  // merge_diff(from, to) rebuilds `to`, except where `to` holds nulls a patch cannot say.
  if (!has_null_member(once)) {
    const auto diff = henge::core::merge_diff(target, once);
    if (henge::core::apply_merge_patch(target, diff) != once) std::abort();
  }
  return 0;
}
