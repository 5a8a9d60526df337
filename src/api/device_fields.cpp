#include "api/device_fields.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "core/crypto.hpp"
#include "core/names.hpp"

namespace henge::api {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

namespace {

constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kMaxGroups = 32;
constexpr std::size_t kMaxLabelValue = 256;

}  // namespace

// Label keys follow the name rule; values are free text up to a bound.
Status parse_labels(const json::value& v, std::map<std::string, std::string>& labels, bool merge) {
  const auto* obj = v.if_object();
  if (obj == nullptr) return make_error(Errc::invalid, "labels must be an object of strings");
  if (!merge) labels.clear();
  for (const auto& [key, value] : *obj) {
    if (auto s = core::check_name("label key", key); !s) return s;
    if (merge && value.is_null()) {
      labels.erase(std::string(key));
      continue;
    }
    if (!value.is_string() || value.get_string().size() > kMaxLabelValue) {
      return make_error(Errc::invalid, "label '" + std::string(key) + "' must be a string of at most " +
                                           std::to_string(kMaxLabelValue) + " bytes");
    }
    labels[std::string(key)] = std::string(value.get_string());
  }
  if (labels.size() > kMaxLabels) return make_error(Errc::invalid, "at most 64 labels");
  return {};
}

Status parse_groups(const json::value& v, std::vector<std::string>& out) {
  const auto* arr = v.if_array();
  if (arr == nullptr) return make_error(Errc::invalid, "groups must be an array of group names");
  out.clear();
  for (const auto& g : *arr) {
    if (!g.is_string()) return make_error(Errc::invalid, "groups must be an array of group names");
    if (auto s = core::check_name("group name", g.get_string()); !s) return s;
    out.emplace_back(g.get_string());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > kMaxGroups) return make_error(Errc::invalid, "at most 32 groups");
  return {};
}

Status parse_schema_name(const json::value& v, std::string& out) {
  if (v.is_null()) {
    out.clear();
    return {};
  }
  if (!v.is_string()) return make_error(Errc::invalid, "schema must be a schema name or null");
  if (auto s = core::check_name("schema name", v.get_string()); !s) return s;
  out = std::string(v.get_string());
  return {};
}

std::string new_device_token() {
  return "hdt_" + core::random_token(32);
}

core::Result<NewDevice> parse_new_device(const json::object& body, core::TimeMs now) {
  HENGE_TRY(check_fields(body, {"id", "schema", "labels", "groups", "config"}));
  NewDevice out;
  auto& d = out.device;
  const auto* id = body.if_contains("id");
  if (id == nullptr || !id->is_string()) return make_error(Errc::invalid, "id is required and must be a string");
  HENGE_TRY(core::check_name("device id", id->get_string()));
  d.id = std::string(id->get_string());
  if (const auto* v = body.if_contains("schema")) HENGE_TRY(parse_schema_name(*v, d.schema));
  if (const auto* v = body.if_contains("labels")) HENGE_TRY(parse_labels(*v, d.labels, false));
  if (const auto* v = body.if_contains("groups")) HENGE_TRY(parse_groups(*v, d.groups));
  if (const auto* v = body.if_contains("config")) {
    if (!v->is_object()) return make_error(Errc::invalid, "config must be an object");
    d.values = *v;
  }
  out.token = new_device_token();
  d.token_hash = core::sha256_hex(out.token);
  d.created_at = d.updated_at = now;
  return out;
}

json::array device_warnings(store::ReadTx& tx, const std::vector<core::Device>& devices) {
  std::map<std::string, std::vector<const core::Device*>> missing;
  std::map<std::string, bool> exists;
  for (const auto& d : devices) {
    if (d.schema.empty()) continue;
    auto [it, fresh] = exists.try_emplace(d.schema, false);
    if (fresh) it->second = tx.schema(d.schema, 0).has_value();
    if (!it->second) missing[d.schema].push_back(&d);
  }
  json::array out;
  for (const auto& [schema, named] : missing) {
    const std::string who =
        named.size() == 1 ? "device " + named.front()->id : std::to_string(named.size()) + " devices";
    out.emplace_back("schema " + schema + " does not exist (yet): " + who +
                     " get no defaults and no validation until it is created");
  }
  return out;
}

}  // namespace henge::api
