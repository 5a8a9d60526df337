// An MQTT 3.1.1 subscriber (OASIS MQTT 3.1.1, sections 2 and 3): CONNECT, SUBSCRIBE to
// its own topic and the shared one, sent together; open once the SUBACK grants both.
// Each PUBLISH is an event, its payload a decimal number. At QoS 0 the session is clean
// (nothing kept between connections); at QoS 1 it is persistent (clean session off, the
// client id its device id) and each PUBLISH is answered with a PUBACK (section 4.3.2),
// so the broker keeps and redelivers what was not acknowledged.

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
  kPuback = 4,
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
  MqttSession(const Identity& who, const SessionOptions& options, unsigned qos) {
    const auto q = static_cast<char>(qos);
    std::string connect;
    put_string(connect, "MQTT");
    connect.push_back(4);                           // protocol level 3.1.1
    connect.push_back(qos == 0 ? '\x02' : '\x00');  // clean session or not; no will, no credentials
    connect.push_back(static_cast<char>(options.mqtt_keepalive_s >> 8));
    connect.push_back(static_cast<char>(options.mqtt_keepalive_s & 0xff));
    put_string(connect, who.id);
    std::string subscribe{0, 1};  // packet identifier 1
    put_string(subscribe, options.prefix + who.id);
    subscribe.push_back(q);  // the maximum QoS granted
    put_string(subscribe, options.shared);
    subscribe.push_back(q);
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
      on_packet(static_cast<std::uint8_t>(buffer_[at]), std::string_view(buffer_).substr(pos, length), out);
      at = pos + length;
    }
    buffer_.erase(0, at);
  }

 private:
  static constexpr std::string_view kPing{"\xc0\x00", 2};

  // `first` is the fixed header's first byte: the type, then four bits of flags.
  static void on_packet(std::uint8_t first, std::string_view body, Heard& out) {
    switch (first >> 4) {
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
      case kPublish: {  // the topic; at QoS 1 or 2 a packet id; then the payload
        const unsigned qos = (first >> 1) & 3;
        const std::size_t id_size = qos == 0 ? 0 : 2;
        if (body.size() < 2 || qos > 1) {  // QoS 2 is never granted to this subscriber
          out.failed = true;
          return;
        }
        const std::size_t topic = static_cast<std::uint8_t>(body[0]) << 8 | static_cast<std::uint8_t>(body[1]);
        if (body.size() < 2 + topic + id_size) {
          out.failed = true;
          return;
        }
        if (qos == 1) {
          out.reply.push_back(static_cast<char>(kPuback << 4));
          out.reply.push_back(2);
          out.reply.append(body.substr(2 + topic, 2));
        }
        if (const auto n = parse_number(body.substr(2 + topic + id_size)); n > 0) out.revisions.push_back(n);
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

std::unique_ptr<Session> make_mqtt_session(const Identity& who, const SessionOptions& options, unsigned qos) {
  return std::make_unique<MqttSession>(who, options, qos);
}

}  // namespace henge::loadgen
