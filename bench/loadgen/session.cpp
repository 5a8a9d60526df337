#include "session.hpp"

namespace henge::loadgen {

std::unique_ptr<Session> make_henge_session(const Identity& who);
std::unique_ptr<Session> make_mqtt_session(const Identity& who, const SessionOptions& options, unsigned qos);
std::unique_ptr<Session> make_etcd_session(const Identity& who, const SessionOptions& options);
std::unique_ptr<Session> make_nats_session(const Identity& who, const SessionOptions& options);

std::unique_ptr<Session> make_session(Protocol protocol, const Identity& who, const SessionOptions& options) {
  switch (protocol) {
    case Protocol::mqtt:
      return make_mqtt_session(who, options, 0);
    case Protocol::mqtt_qos1:
      return make_mqtt_session(who, options, 1);
    case Protocol::etcd:
      return make_etcd_session(who, options);
    case Protocol::nats:
      return make_nats_session(who, options);
    case Protocol::henge:
      break;
  }
  return make_henge_session(who);
}

std::optional<Protocol> parse_protocol(std::string_view name) {
  if (name == "henge") return Protocol::henge;
  if (name == "mqtt") return Protocol::mqtt;
  if (name == "mqtt-qos1") return Protocol::mqtt_qos1;
  if (name == "etcd") return Protocol::etcd;
  if (name == "nats") return Protocol::nats;
  return std::nullopt;
}

}  // namespace henge::loadgen
