#include "agent/state.hpp"

#include <boost/json.hpp>

#include "files/atomic_file.hpp"

namespace henge::agent {

namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

std::string state_path(const std::string& dir) {
  return dir + "/state.json";
}

}  // namespace

core::Result<AgentState> load_state(const std::string& dir) {
  const auto path = state_path(dir);
  auto text = files::read_file(path, 1 << 20);
  if (!text.ok()) {
    if (text.error().code == Errc::not_found) return AgentState{};
    return std::move(text).error();
  }
  boost::system::error_code ec;
  // Older versions could write a command's raw output into an ack's error; such a file
  // must still load (its text is cleaned before it is sent).
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  const auto doc = json::parse(*text, ec, {}, options);
  const auto* obj = ec ? nullptr : doc.if_object();
  const auto damaged = [&path](std::string_view why) {
    return make_error(Errc::invalid, path + " is damaged (" + std::string(why) + "); remove it to start over");
  };
  if (obj == nullptr) return damaged("not a JSON object");
  AgentState state;
  const auto* rev = obj->if_contains("revision");
  const auto* sha = obj->if_contains("sha256");
  if (rev == nullptr || !rev->is_int64() || rev->as_int64() < 0) return damaged("bad revision");
  if (sha == nullptr || !sha->is_string()) return damaged("bad sha256");
  state.revision = rev->as_int64();
  state.sha256 = std::string(sha->as_string());
  for (auto [key, slot] : {std::pair{"unsent_ack", &state.unsent_ack}, std::pair{"last_ack", &state.last_ack}}) {
    const auto* ack = obj->if_contains(key);
    if (ack == nullptr || !ack->is_object()) continue;
    const auto& a = ack->as_object();
    const auto* arev = a.if_contains("revision");
    const auto* applied = a.if_contains("applied");
    const auto* error = a.if_contains("error");
    const auto* retry = a.if_contains("retry");
    if (arev == nullptr || !arev->is_int64() || applied == nullptr || !applied->is_bool()) {
      return damaged(std::string("bad ") + key);
    }
    *slot = Ack{arev->as_int64(), applied->as_bool(),
                error != nullptr && error->is_string() ? std::string(error->as_string()) : "",
                retry != nullptr && retry->is_bool() && retry->as_bool()};
  }
  return state;
}

core::Status save_state(const std::string& dir, const AgentState& state) {
  json::object obj;
  obj["revision"] = state.revision;
  obj["sha256"] = state.sha256;
  const auto ack_json = [](const Ack& a) {
    return json::object{{"revision", a.revision}, {"applied", a.applied}, {"error", a.error}, {"retry", a.retry}};
  };
  if (state.unsent_ack) obj["unsent_ack"] = ack_json(*state.unsent_ack);
  if (state.last_ack) obj["last_ack"] = ack_json(*state.last_ack);
  return files::write_file_atomically(state_path(dir), json::serialize(obj) + "\n");
}

}  // namespace henge::agent
