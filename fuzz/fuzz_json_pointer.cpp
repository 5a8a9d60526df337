// JSON Pointer (RFC 6901): a pointer that parses prints back as itself, and parsing its
// printed form gives the same tokens; a child's pointer has its parent as a prefix.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json_pointer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = henge::core::JsonPointer::parse(input);
  if (!parsed) return 0;
  if (parsed->str() != input) std::abort();
  auto again = henge::core::JsonPointer::parse(parsed->str());
  if (!again || !(*again == *parsed)) std::abort();
  const auto child = parsed->child(input);
  if (!parsed->is_prefix_of(child)) std::abort();
  auto child_again = henge::core::JsonPointer::parse(child.str());
  if (!child_again || !(*child_again == child)) std::abort();
  return 0;
}
