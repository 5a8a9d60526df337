#include "store/sqlite/row_batches.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace henge::store::sqlite {

namespace json = boost::json;

namespace {

void add_id(std::string& ids, std::string_view id) {
  ids += ids.empty() ? '[' : ',';
  ids += json::serialize(json::string_view(id));
}

bool same_but_device(const core::HistoryEntry& a, const core::HistoryEntry& b) {
  return a.revision == b.revision && a.at == b.at && a.sha256 == b.sha256 && a.actor == b.actor &&
         a.action == b.action && a.change == b.change;
}

}  // namespace

void RowBatches::update_desired(Db& db, ConfigTexts& texts, std::vector<DesiredChange>& changed, std::string_view id,
                                const core::Desired& desired) {
  if (!desired_ids_.empty() && (desired.revision != desired_.revision || desired.sha256 != desired_.sha256 ||
                                desired.schema != desired_.schema)) {
    flush_desired(db, texts, changed);
  }
  if (desired_ids_.empty()) desired_ = desired;
  add_id(desired_ids_, id);
}

void RowBatches::append_history(Db& db, ConfigTexts& texts, const core::HistoryEntry& entry) {
  if (!history_ids_.empty() && !same_but_device(entry, history_)) flush_history(db, texts);
  if (history_ids_.empty()) {
    history_ = entry;
    history_change_ = stored_text(entry.change);
  }
  add_id(history_ids_, entry.device);
}

void RowBatches::flush_desired(Db& db, ConfigTexts& texts, std::vector<DesiredChange>& changed) {
  desired_ids_ += ']';
  // A row changes only when the revision moved: an equal revision is the same desired
  // config, so there is nothing to write, nor to push.
  auto st = db.prepare(
      "UPDATE devices SET desired_revision = ?2, desired_config = ?3, desired_sha256 = ?4, desired_schema = ?5 "
      "WHERE id IN (SELECT value FROM json_each(?1)) AND desired_revision != ?2 RETURNING id");
  st.bind_all(desired_ids_, desired_.revision, texts.of(desired_.sha256, desired_.config), desired_.sha256,
              desired_.schema);
  std::vector<std::string> ids;
  while (st.step()) ids.push_back(st.text(0));
  // In id order, as the change event lists them: sorting the ids here is cheaper than
  // sorting the changes there.
  std::sort(ids.begin(), ids.end());
  if (desired_.revision != 0) {
    changed.reserve(changed.size() + ids.size());
    for (auto& id : ids) changed.push_back({std::move(id), desired_});
  }
  desired_ids_.clear();
}

void RowBatches::flush_history(Db& db, ConfigTexts& texts) {
  history_ids_ += ']';
  auto st = db.prepare(
      "INSERT OR REPLACE INTO history (device_id, revision, at, actor, action, change, config, sha256) "
      "SELECT value, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM json_each(?1)");
  st.bind_all(history_ids_, history_.revision, history_.at, history_.actor, history_.action, history_change_,
              texts.of(history_.sha256, history_.config), history_.sha256)
      .run();
  history_ids_.clear();
}

}  // namespace henge::store::sqlite
