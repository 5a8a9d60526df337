#pragma once
// The text of the device protocol's messages (docs/protocol.md): the config
// document and the server-sent-event frames that carry it.

#include <string>
#include <string_view>

#include "core/model.hpp"

namespace henge::push {

/// {"revision":R,"schema":"name@version"|null,"sha256":"…","config":{…}}
std::string config_document(const core::Desired& desired);
/// "event: config\nid: R\ndata: <config_document>\n\n"
std::string config_frame(const core::Desired& desired);
/// "event: goaway\ndata: {\"reason\":\"…\"}\n\n"
std::string goaway_frame(std::string_view reason);
/// "retry: <ms>\n\n"
std::string retry_preamble(long long retry_ms);
/// "event: <type>\nid: <id>\ndata: <json>\n\n"
std::string event_frame(std::string_view type, std::uint64_t id, std::string_view json);

}  // namespace henge::push
