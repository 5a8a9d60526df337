#pragma once
// Building the ChangeEvent of a commit, the same way in every store.

#include <algorithm>
#include <vector>

#include "store/store.hpp"

namespace henge::store {

/// The event for `revision` from the desired configs a transaction wrote, in the
/// order written: one per device (the last write wins), ordered by device id.
inline ChangeEvent make_change_event(Revision revision, std::vector<DesiredChange> written) {
  // Most often already so: a batched write lists its devices in id order, once each.
  const auto out_of_order = std::adjacent_find(written.begin(), written.end(),
                                               [](const auto& a, const auto& b) { return !(a.device < b.device); });
  if (out_of_order == written.end()) return ChangeEvent{revision, std::move(written)};
  std::stable_sort(written.begin(), written.end(),
                   [](const DesiredChange& a, const DesiredChange& b) { return a.device < b.device; });
  // Keep the last of each run of equal ids: reverse, unique, reverse.
  std::reverse(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end(),
                            [](const DesiredChange& a, const DesiredChange& b) { return a.device == b.device; }),
                written.end());
  std::reverse(written.begin(), written.end());
  return ChangeEvent{revision, std::move(written)};
}

}  // namespace henge::store
