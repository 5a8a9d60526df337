#include "store/memory/memory_store.hpp"

#include "store/change_event.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace henge::store {
namespace {

using namespace henge::core;

struct State {
  Revision revision = 0;
  std::uint64_t audit_seq = 0;
  std::map<std::string, Device, std::less<>> devices;
  std::map<std::string, std::vector<SchemaVersion>, std::less<>> schemas;
  std::map<std::string, Group, std::less<>> groups;
  std::map<std::string, std::map<Revision, HistoryEntry>, std::less<>> history;
  std::vector<AuditEntry> audit;
  std::map<std::string, Token, std::less<>> tokens;  // by hash
};

template <class Map, class Key>
auto lookup(const Map& m, const Key& k) -> std::optional<typename Map::mapped_type> {
  auto it = m.find(k);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

class MemoryTx final : public WriteTx {
 public:
  MemoryTx(State& s, Revision committed) : s_(s), committed_(committed) {}

  Revision revision() override { return s_.revision; }

  std::optional<Device> device(std::string_view id) override { return lookup(s_.devices, id); }
  std::optional<Device> device_by_token_hash(std::string_view hash) override {
    for (const auto& [id, d] : s_.devices) {
      if (d.token_hash == hash) return d;
    }
    return std::nullopt;
  }
  std::vector<Device> devices(const DeviceQuery& q) override {
    std::vector<Device> out;
    for (auto it = s_.devices.upper_bound(q.after_id); it != s_.devices.end() && out.size() < q.limit; ++it) {
      const auto& d = it->second;
      if (!q.schema.empty() && d.schema != q.schema) continue;
      if (!q.group.empty() && !std::binary_search(d.groups.begin(), d.groups.end(), q.group)) continue;
      if (!q.status.empty() && q.status != sync_status(d)) continue;
      if (q.connected && *q.connected != d.state.connected) continue;
      if (!q.label_key.empty()) {
        auto l = d.labels.find(q.label_key);
        if (l == d.labels.end() || (!q.label_value.empty() && l->second != q.label_value)) continue;
      }
      out.push_back(d);
    }
    return out;
  }
  std::vector<Device> devices_in_group(std::string_view name) override {
    std::vector<Device> out;
    for (const auto& [id, d] : s_.devices) {
      if (std::binary_search(d.groups.begin(), d.groups.end(), name)) out.push_back(d);
    }
    return out;
  }
  std::vector<Device> devices_with_schema(std::string_view name) override {
    std::vector<Device> out;
    for (const auto& [id, d] : s_.devices) {
      if (d.schema == name) out.push_back(d);
    }
    return out;
  }

  std::optional<SchemaVersion> schema(std::string_view name, std::int64_t version) override {
    auto it = s_.schemas.find(name);
    if (it == s_.schemas.end() || it->second.empty()) return std::nullopt;
    if (version == 0) return it->second.back();
    if (version < 0 || static_cast<std::size_t>(version) > it->second.size()) return std::nullopt;
    return it->second[static_cast<std::size_t>(version) - 1];
  }
  std::vector<SchemaVersion> schemas() override {
    std::vector<SchemaVersion> out;
    for (const auto& [name, versions] : s_.schemas) out.push_back(versions.back());
    return out;
  }
  std::vector<SchemaVersion> schema_versions(std::string_view name) override {
    auto it = s_.schemas.find(name);
    return it == s_.schemas.end() ? std::vector<SchemaVersion>{} : it->second;
  }

  std::optional<Group> group(std::string_view name) override { return lookup(s_.groups, name); }
  std::vector<Group> groups() override {
    std::vector<Group> out;
    for (const auto& [name, g] : s_.groups) out.push_back(g);
    return out;
  }

  std::vector<HistoryEntry> history(std::string_view device, Revision before, std::size_t limit) override {
    std::vector<HistoryEntry> out;
    auto it = s_.history.find(device);
    if (it == s_.history.end()) return out;
    for (auto h = it->second.rbegin(); h != it->second.rend() && out.size() < limit; ++h) {
      if (before != 0 && h->first >= before) continue;
      out.push_back(h->second);
    }
    return out;
  }
  std::optional<HistoryEntry> history_entry(std::string_view device, Revision revision) override {
    auto it = s_.history.find(device);
    if (it == s_.history.end()) return std::nullopt;
    return lookup(it->second, revision);
  }

  std::vector<AuditEntry> audit(const AuditQuery& q) override {
    std::vector<AuditEntry> out;
    for (auto it = s_.audit.rbegin(); it != s_.audit.rend() && out.size() < q.limit; ++it) {
      if (q.before_seq != 0 && it->seq >= q.before_seq) continue;
      if (!q.actor.empty() && it->actor != q.actor) continue;
      if (!q.action.empty() && it->action != q.action) continue;
      if (!q.target.empty() && it->target != q.target) continue;
      out.push_back(*it);
    }
    return out;
  }

  std::optional<Token> token_by_hash(std::string_view hash) override { return lookup(s_.tokens, hash); }
  std::size_t token_count() override { return s_.tokens.size(); }
  std::map<std::string, std::size_t> device_counts_by_status() override {
    std::map<std::string, std::size_t> out;
    for (const auto& [id, d] : s_.devices) ++out[sync_status(d)];
    return out;
  }
  std::vector<Token> tokens() override {
    std::vector<Token> out;
    for (const auto& [hash, t] : s_.tokens) out.push_back(t);
    std::sort(out.begin(), out.end(), [](const Token& a, const Token& b) { return a.name < b.name; });
    return out;
  }

  Revision take_revision() override {
    if (s_.revision == committed_) ++s_.revision;
    return s_.revision;
  }
  void insert_device(const Device& d) override {
    s_.devices[d.id] = d;
    note_desired(d, 0);
  }
  void update_device(const Device& d) override {
    auto& slot = s_.devices[d.id];
    note_desired(d, slot.desired.revision);
    const auto state = std::move(slot.state);
    slot = d;
    slot.state = state;
  }
  void update_desired(std::string_view id, const Desired& desired) override {
    auto it = s_.devices.find(id);
    if (it == s_.devices.end()) return;
    Device& d = it->second;
    const auto before = d.desired.revision;
    d.desired = desired;
    note_desired(d, before);
  }
  void update_device_state(std::string_view id, const DeviceState& state) override {
    if (auto it = s_.devices.find(id); it != s_.devices.end()) {
      const bool connected = it->second.state.connected;
      it->second.state = state;
      it->second.state.connected = connected;
    }
  }
  void set_connection(std::string_view id, bool connected, TimeMs at) override {
    if (auto it = s_.devices.find(id); it != s_.devices.end()) {
      it->second.state.connected = connected;
      it->second.state.last_seen = std::max(it->second.state.last_seen, at);
    }
  }
  void reset_connections() override {
    for (auto& [id, d] : s_.devices) d.state.connected = false;
  }
  void delete_device(std::string_view id) override {
    if (auto it = s_.devices.find(id); it != s_.devices.end()) s_.devices.erase(it);
    if (auto it = s_.history.find(id); it != s_.history.end()) s_.history.erase(it);
  }
  void insert_schema_version(const SchemaVersion& s) override { s_.schemas[s.name].push_back(s); }
  void put_group(const Group& g) override { s_.groups[g.name] = g; }
  void delete_group(std::string_view name) override {
    if (auto it = s_.groups.find(name); it != s_.groups.end()) s_.groups.erase(it);
  }
  void append_history(const HistoryEntry& h) override { s_.history[h.device][h.revision] = h; }
  void append_audit(const AuditEntry& a) override {
    s_.audit.push_back(a);
    s_.audit.back().seq = ++s_.audit_seq;
  }
  void put_token(const Token& t) override {
    std::erase_if(s_.tokens, [&](const auto& kv) { return kv.second.name == t.name; });
    s_.tokens[t.hash] = t;
  }

  bool delete_token(std::string_view name) override {
    return std::erase_if(s_.tokens, [&](const auto& kv) { return kv.second.name == name; }) > 0;
  }

  std::vector<DesiredChange> changed;

 private:
  void note_desired(const Device& d, Revision before) {
    if (d.desired.revision != before && d.desired.revision != 0) changed.push_back({d.id, d.desired});
  }
  State& s_;
  Revision committed_;
};

class MemoryStore final : public Store {
 public:
  Status read(const std::function<Status(ReadTx&)>& fn) override {
    std::shared_lock lock(mu_);
    MemoryTx tx(state_, state_.revision);
    try {
      return fn(tx);
    } catch (const std::exception& e) {
      return make_error(Errc::internal, e.what());  // as the SQL stores answer it
    }
  }

  Status write(const std::function<Status(WriteTx&)>& fn) override {
    std::unique_lock lock(mu_);
    State draft = state_;
    MemoryTx tx(draft, state_.revision);
    Status status;
    try {
      status = fn(tx);
    } catch (const std::exception& e) {
      return make_error(Errc::internal, e.what());  // the draft is dropped: nothing lands
    }
    if (!status.ok()) return status;
    state_ = std::move(draft);
    if (listener_ && !tx.changed.empty()) listener_(make_change_event(state_.revision, std::move(tx.changed)));
    return {};
  }

  void set_change_listener(std::function<void(ChangeEvent)> listener) override { listener_ = std::move(listener); }

 private:
  std::shared_mutex mu_;
  State state_;
  std::function<void(ChangeEvent)> listener_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace henge::store
