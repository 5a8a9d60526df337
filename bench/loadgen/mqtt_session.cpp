// An MQTT 3.1.1 subscriber (OASIS MQTT 3.1.1, sections 2 and 3): CONNECT with a clean
// session, SUBSCRIBE at QoS 0 to its own topic and the shared one, sent together; open
// once the SUBACK grants both. Each PUBLISH is an event, its payload a decimal number.

#include <memory>

#include "http_head.hpp"
#include "session.hpp"

namespace henge::loadgen {

namespace {

constexpr std::size_t kMaxPacket = 1 << 20;

enum Type : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13
};

void put_length(std::string& out, std::size_t n) {  // "remaining length": 7 bits a byte
  do {
    auto byte = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (n > 0);
}

void put_string(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}

std::string packet(std::uint8_t first_byte, const std::string& body) {
  std::string out(1, static_cast<char>(first_byte));
  put_length(out, body.size());
  return out + body;
}

class MqttSession final : public Session {
 public:
  MqttSession(const Identity& who, const SessionOptions& options) {
    std::string connect;
    put_string(connect, "MQTT");
    connect.push_back(4);     // protocol level 3.1.1
    connect.push_back(0x02);  // clean session, no will, no credentials
    connect.push_back(static_cast<char>(options.mqtt_keepalive_s >> 8));
    connect.push_back(static_cast<char>(options.mqtt_keepalive_s & 0xff));
    put_string(connect, who.id);
    std::string subscribe{0, 1};  // packet identifier 1
    put_string(subscribe, options.prefix + who.id);
    subscribe.push_back(0);  // QoS 0
    put_string(subscribe, options.shared);
    subscribe.push_back(0);
    greeting_ = packet(kConnect << 4, connect) + packet(kSubscribe << 4 | 0x02, subscribe);
  }

  [[nodiscard]] std::string greeting(std::int64_t) const override { return greeting_; }
  [[nodiscard]] std::string_view ping() const override { return kPing; }

  void feed(std::string_view bytes, Heard& out) override {
    buffer_.append(bytes);
    std::size_t at = 0;
    while (!out.failed && !out.refused) {
      // Fixed header: type and flags, then 1–4 bytes of remaining length.
      std::size_t length = 0;
      std::size_t pos = at + 1;
      bool whole = false;
      for (unsigned shift = 0; pos < buffer_.size() && shift <= 21; shift += 7) {
        const auto byte = static_cast<std::uint8_t>(buffer_[pos++]);
        length |= static_cast<std::size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
          whole = true;
          break;
        }
      }
      if (!whole || buffer_.size() - pos < length) {
        if (buffer_.size() - at > kMaxPacket) out.failed = true;
        break;
      }
      on_packet(static_cast<std::uint8_t>(buffer_[at]) >> 4, std::string_view(buffer_).substr(pos, length), out);
      at = pos + length;
    }
    buffer_.erase(0, at);
  }

 private:
  static constexpr std::string_view kPing{"\xc0\x00", 2};

  static void on_packet(unsigned type, std::string_view body, Heard& out) {
    switch (type) {
      case kConnack:
        // Byte 2 is the return code: 0 accepted; the rest (bad id, not authorized, …)
        // will not change on a retry.
        if (body.size() != 2 || body[1] != 0) out.refused = true;
        return;
      case kSuback:
        // Two granted QoS bytes after the packet id; 0x80 is a refusal.
        if (body.size() != 4 || static_cast<std::uint8_t>(body[2]) == 0x80 ||
            static_cast<std::uint8_t>(body[3]) == 0x80) {
          out.refused = true;
        } else {
          out.opened = true;
        }
        return;
      case kPublish: {  // QoS 0: topic, then the payload (no packet id)
        if (body.size() < 2) {
          out.failed = true;
          return;
        }
        const std::size_t topic = static_cast<std::uint8_t>(body[0]) << 8 | static_cast<std::uint8_t>(body[1]);
        if (body.size() < 2 + topic) {
          out.failed = true;
          return;
        }
        if (const auto n = parse_number(body.substr(2 + topic)); n > 0) out.revisions.push_back(n);
        return;
      }
      case kPingresp:
        return;
      default:
        out.failed = true;  // nothing else is sent to a subscriber
    }
  }

  std::string greeting_;
  std::string buffer_;  // an incomplete packet
};

}  // namespace

std::unique_ptr<Session> make_mqtt_session(const Identity& who, const SessionOptions& options) {
  return std::make_unique<MqttSession>(who, options);
}

}  // namespace henge::loadgen
