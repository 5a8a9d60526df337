#pragma once
// The rows a group or schema write changes by the thousand, written a batch a statement.
// Such a write moves every member from the same desired config to the same new one, so
// consecutive desired-config updates with the same (revision, digest, schema), and
// consecutive history entries equal but for their device, are one statement each: the
// device ids go in as one JSON array (json_each), and the shared values are bound once.
// Written per row, the statements' own overhead was half of a 19,000-device group write.
//
// A batch must reach the database before anything else in the transaction reads or
// writes (SqliteTx flushes before every other statement, and before COMMIT).

#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "store/change_event.hpp"
#include "store/config_texts.hpp"
#include "store/sqlite/db.hpp"

namespace henge::store::sqlite {

class RowBatches final {
 public:
  /// Sets `desired` on device `id` unless it already has that revision; a device that
  /// changed is listed in `changed` when flushed.
  void update_desired(Db& db, ConfigTexts& texts, std::vector<DesiredChange>& changed, std::string_view id,
                      const core::Desired& desired);
  void append_history(Db& db, ConfigTexts& texts, const core::HistoryEntry& entry);
  /// Writes what is buffered.
  void flush(Db& db, ConfigTexts& texts, std::vector<DesiredChange>& changed) {
    if (!desired_ids_.empty()) flush_desired(db, texts, changed);
    if (!history_ids_.empty()) flush_history(db, texts);
  }

 private:
  void flush_desired(Db& db, ConfigTexts& texts, std::vector<DesiredChange>& changed);
  void flush_history(Db& db, ConfigTexts& texts);

  core::Desired desired_;       // what the buffered devices get
  std::string desired_ids_;     // their ids, a JSON array being built (empty: none)
  core::HistoryEntry history_;  // the buffered entries, but for their device
  std::string history_change_;  // history_.change serialized
  std::string history_ids_;
};

}  // namespace henge::store::sqlite
