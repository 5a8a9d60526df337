#include "push/frames.hpp"

#include <boost/json.hpp>

namespace henge::push {
namespace json = boost::json;

std::string config_document(const core::Desired& desired) {
  json::object o;
  o["revision"] = desired.revision;
  o["schema"] = desired.schema.empty() ? json::value(nullptr) : json::value(desired.schema);
  o["sha256"] = desired.sha256;
  o["config"] = desired.config;
  return json::serialize(o);
}

std::string event_frame(std::string_view type, std::uint64_t id, std::string_view data) {
  std::string f;
  f.reserve(data.size() + type.size() + 32);
  f += "event: ";
  f += type;
  f += "\nid: ";
  f += std::to_string(id);
  f += "\ndata: ";
  f += data;  // serialized JSON has no raw newlines, so one data line carries it
  f += "\n\n";
  return f;
}

std::string config_frame(const core::Desired& desired) {
  return event_frame("config", desired.revision, config_document(desired));
}

std::string goaway_frame(std::string_view reason) {
  return "event: goaway\ndata: " + json::serialize(json::object{{"reason", reason}}) + "\n\n";
}

std::string retry_preamble(long long retry_ms) {
  return "retry: " + std::to_string(retry_ms) + "\n\n";
}

}  // namespace henge::push
