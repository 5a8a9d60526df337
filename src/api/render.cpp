#include "api/render.hpp"

#include <boost/json.hpp>

#include "core/time_format.hpp"

namespace henge::api {
namespace json = boost::json;
using core::format_time;

json::object render_device(const core::Device& d) {
  json::object labels;
  for (const auto& [k, v] : d.labels) labels[k] = v;
  json::array groups;
  for (const auto& g : d.groups) groups.emplace_back(g);
  json::object o;
  o["id"] = d.id;
  o["schema"] = d.schema.empty() ? json::value(nullptr) : json::value(d.schema);
  o["labels"] = std::move(labels);
  o["groups"] = std::move(groups);
  o["desired_revision"] = d.desired.revision;
  o["desired_sha256"] = d.desired.sha256;
  const auto& s = d.state;
  auto time_or_null = [](core::TimeMs t) { return t == 0 ? json::value(nullptr) : json::value(format_time(t)); };
  o["status"] = core::sync_status(d);
  o["connected"] = s.connected;
  if (s.connected && !s.replica.empty()) o["replica"] = s.replica;
  o["last_seen"] = time_or_null(s.last_seen);
  o["applied_revision"] = s.applied_revision == 0 ? json::value(nullptr) : json::value(s.applied_revision);
  o["applied_at"] = time_or_null(s.applied_at);
  o["error"] = s.error.empty() ? json::value(nullptr) : json::value(s.error);
  o["reported"] = s.reported;
  o["created_at"] = format_time(d.created_at);
  o["updated_at"] = format_time(d.updated_at);
  if (!d.unreadable.empty()) {
    json::array unreadable;
    for (const auto& u : d.unreadable) unreadable.emplace_back(u);
    o["unreadable"] = std::move(unreadable);
  }
  return o;
}

json::object render_group(const core::Group& g) {
  return json::object{{"name", g.name},
                      {"priority", g.priority},
                      {"revision", g.revision},
                      {"config", g.values},
                      {"created_at", format_time(g.created_at)},
                      {"updated_at", format_time(g.updated_at)}};
}

json::object render_schema(const core::SchemaVersion& s, bool with_document) {
  json::object o{
      {"name", s.name}, {"version", s.version}, {"revision", s.revision}, {"created_at", format_time(s.created_at)}};
  if (with_document) o["schema"] = s.document;
  return o;
}

json::object render_history(const core::HistoryEntry& h) {
  return json::object{{"revision", h.revision}, {"at", format_time(h.at)}, {"actor", h.actor},  {"action", h.action},
                      {"change", h.change},     {"config", h.config},      {"sha256", h.sha256}};
}

json::object render_audit(const core::AuditEntry& a) {
  return json::object{{"seq", a.seq},
                      {"at", format_time(a.at)},
                      {"actor", a.actor},
                      {"action", a.action},
                      {"target", a.target},
                      {"change", a.change},
                      {"revision", a.revision == 0 ? json::value(nullptr) : json::value(a.revision)},
                      {"request_id", a.request_id},
                      {"remote", a.remote}};
}

json::object render_config(const core::Device& d, const service::EffectiveView& view) {
  json::object sources;
  for (const auto& [ptr, layer] : view.effective.sources) sources[ptr] = layer;
  json::value schema = nullptr;
  if (!view.schema_name.empty()) {
    schema = json::object{{"name", view.schema_name}, {"version", view.schema_version}};
  }
  return json::object{{"device", d.id},
                      {"revision", d.desired.revision},
                      {"sha256", d.desired.sha256},
                      {"schema", std::move(schema)},
                      {"config", d.desired.config},
                      {"sources", std::move(sources)},
                      {"values", d.values}};
}

json::object render_page(json::array items, const std::string& next) {
  return json::object{{"items", std::move(items)},
                      {"next_cursor", next.empty() ? json::value(nullptr) : json::value(next)}};
}

}  // namespace henge::api
