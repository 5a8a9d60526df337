#pragma once
// What one load-generator stream speaks, apart from how it connects and backs off
// (fleet.cpp does that for every protocol alike). A session lives for one connection:
// it says what to send once connected, and reads what comes back into a `Heard`.
//
// Four protocols, so that henge can be measured side by side with what a fleet owner
// might use instead, each subscriber on its own topic or key and one shared by all:
//   henge      GET /v1/device/stream (server-sent events), the device's token
//   mqtt       MQTT 3.1.1: CONNECT with a clean session, SUBSCRIBE to dev/<id> and the
//              shared topic at QoS 0; an event is a PUBLISH whose payload is a number
//   mqtt-qos1  the same at QoS 1 in a persistent session (clean session off, so the
//              broker keeps what a disconnected subscriber missed); each PUBLISH is
//              answered with a PUBACK
//   etcd       etcd's JSON gateway: POST /v3/watch with a watch on dev/<id> and one on
//              the shared key; an event is a watch response, numbered by its mod_revision
//   nats       a NATS JetStream key-value watcher: two push consumers on the bucket's
//              stream, one for dev/<id> and one for the shared key, each delivering the
//              key's last value and then every put; an event's payload is a number

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace henge::loadgen {

enum class Protocol : std::uint8_t { henge, mqtt, mqtt_qos1, etcd, nats };

/// One stream's device: its id (the topic or key suffix) and its henge token.
struct Identity {
  std::string id;
  std::string token;
};

/// What a session read from the bytes it was fed.
struct Heard {
  bool opened = false;                   ///< streaming (henge: 200; mqtt: SUBACK; etcd: both watches created)
  bool refused = false;                  ///< the server will never take this stream: stop trying
  bool failed = false;                   ///< end this connection and reconnect with backoff
  bool shutdown = false;                 ///< the server is stopping: reconnect within its retry window
  std::int64_t retry_after_ms = 0;       ///< with `failed`: wait at least this long
  std::optional<std::int64_t> retry_ms;  ///< the server's retry window, when it sent one
  std::vector<std::int64_t> revisions;   ///< one per event heard: its number
  std::string reply;                     ///< bytes to send back now (acks, pongs)

  /// Forgets what was heard, keeping the revisions' storage for the next bytes.
  void reset() {
    auto kept = std::move(revisions);
    auto kept_reply = std::move(reply);
    kept.clear();
    kept_reply.clear();
    *this = Heard{};
    revisions = std::move(kept);
    reply = std::move(kept_reply);
  }
};

class Session {
 public:
  virtual ~Session() = default;
  /// The bytes to send once connected; `last_revision` is the newest event heard on an
  /// earlier connection (0: none), for protocols that resume.
  [[nodiscard]] virtual std::string greeting(std::int64_t last_revision) const = 0;
  /// Reads the next bytes from the server.
  virtual void feed(std::string_view bytes, Heard& out) = 0;
  /// What the client sends to keep an idle connection alive, or empty when the server
  /// sends the keepalives (henge) or nothing does (etcd's gateway).
  [[nodiscard]] virtual std::string_view ping() const { return {}; }
};

struct SessionOptions {
  std::string shared = "fleet";       ///< the topic or key every stream also subscribes to
  std::string prefix = "dev/";        ///< each stream's own topic or key: prefix + id
  unsigned mqtt_keepalive_s = 30;     ///< announced in CONNECT; pings go at half of it
  std::string nats_bucket = "henge";  ///< nats: the key-value bucket (stream KV_<bucket>)
};

std::unique_ptr<Session> make_session(Protocol protocol, const Identity& who, const SessionOptions& options);

/// "henge", "mqtt", "mqtt-qos1", "etcd", "nats".
std::optional<Protocol> parse_protocol(std::string_view name);

}  // namespace henge::loadgen
