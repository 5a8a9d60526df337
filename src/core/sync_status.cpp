#include "core/model.hpp"

namespace henge::core {

const char* sync_status(const Device& d) noexcept {
  if (d.state.applied_revision != 0 && d.state.applied_revision == d.desired.revision) return "in_sync";
  if (d.state.rejected_revision != 0 && d.state.rejected_revision == d.desired.revision) return "failed";
  if (d.state.last_seen == 0 && d.state.applied_revision == 0) return "never_connected";
  return "pending";
}

}  // namespace henge::core
