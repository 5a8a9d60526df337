#pragma once
// The JSON shapes of henge's records in the API (api/openapi.yaml names them).

#include <boost/json/value.hpp>

#include "core/model.hpp"
#include "service/config_engine.hpp"

namespace henge::api {

boost::json::object render_device(const core::Device& d);
boost::json::object render_group(const core::Group& g);
boost::json::object render_schema(const core::SchemaVersion& s, bool with_document);
boost::json::object render_history(const core::HistoryEntry& h);
boost::json::object render_audit(const core::AuditEntry& a);
/// A device's config: revision, digest, schema, effective config, sources, device layer.
boost::json::object render_config(const core::Device& d, const service::EffectiveView& view);

/// `{items, next_cursor}`; next_cursor is null when `next` is empty.
boost::json::object render_page(boost::json::array items, const std::string& next);

}  // namespace henge::api
