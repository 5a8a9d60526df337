#include "session.hpp"

namespace henge::loadgen {

std::unique_ptr<Session> make_henge_session(const Identity& who);
std::unique_ptr<Session> make_mqtt_session(const Identity& who, const SessionOptions& options);
std::unique_ptr<Session> make_etcd_session(const Identity& who, const SessionOptions& options);

std::unique_ptr<Session> make_session(Protocol protocol, const Identity& who, const SessionOptions& options) {
  switch (protocol) {
    case Protocol::mqtt:
      return make_mqtt_session(who, options);
    case Protocol::etcd:
      return make_etcd_session(who, options);
    case Protocol::henge:
      break;
  }
  return make_henge_session(who);
}

std::optional<Protocol> parse_protocol(std::string_view name) {
  if (name == "henge") return Protocol::henge;
  if (name == "mqtt") return Protocol::mqtt;
  if (name == "etcd") return Protocol::etcd;
  return std::nullopt;
}

}  // namespace henge::loadgen
