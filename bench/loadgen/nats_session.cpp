// A NATS JetStream key-value watcher, spoken over the NATS client protocol (text control
// lines, each MSG followed by its payload) the way NATS's own clients watch a key: a
// push consumer on the bucket's stream KV_<bucket>, filtered to the key's subject
// $KV.<bucket>.<key>, delivering the key's last value and then every put. The server
// this is measured against (2.9) takes one filter a consumer, so a watcher of its own key
// and the shared one holds two consumers. Everything goes at once after the connect:
//
//   CONNECT {...}                               no +OK after each line (verbose off)
//   SUB _INBOX.<id>.r.* 1                       the two answers
//   SUB _INBOX.<id>.w.own 2, SUB _INBOX.<id>.w.all 3
//                                               the deliveries, each by its own name: a
//                                               push consumer counts only a subscription
//                                               to its exact subject as interest
//   PUB $JS.API.CONSUMER.CREATE.KV_<bucket> _INBOX.<id>.r.own   {config: dev/<id>}
//   PUB $JS.API.CONSUMER.CREATE.KV_<bucket> _INBOX.<id>.r.all   {config: the shared key}
//
// Open once both creates are answered without an error. A delivery (a MSG for the
// subscription 2 or 3, under the key's own subject) is an event, its payload a decimal
// number. The consumers acknowledge nothing and ask
// for no heartbeats or flow control (an ordered consumer of NATS's clients does both, to
// notice a gap); the server removes them a few seconds after the connection ends. The
// server's PINGs are answered. A device id must be a valid subject token (henge's are).

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

#include "http_head.hpp"
#include "session.hpp"

namespace henge::loadgen {

namespace {

constexpr std::size_t kMaxLine = 16 << 10;
constexpr std::size_t kMaxPayload = 1 << 20;

std::string publish(std::string_view subject, std::string_view reply, std::string_view payload) {
  return "PUB " + std::string(subject) + " " + std::string(reply) + " " + std::to_string(payload.size()) + "\r\n" +
         std::string(payload) + "\r\n";
}

std::string consumer_create(const std::string& stream, const std::string& deliver, const std::string& subject) {
  return R"({"stream_name":")" + stream + R"(","config":{"deliver_subject":")" + deliver +
         R"(","deliver_policy":"last_per_subject","ack_policy":"none","filter_subject":")" + subject +
         R"(","replay_policy":"instant","mem_storage":true,"num_replicas":1}})";
}

// The words of a control line, split on spaces and tabs (at most `N`; more is an error).
template <std::size_t N>
std::size_t split(std::string_view line, std::array<std::string_view, N>& words) {
  std::size_t n = 0;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const auto end = std::min(line.find_first_of(" \t"), line.size());
    if (n == N) return N + 1;
    words[n++] = line.substr(0, end);
    line.remove_prefix(end);
  }
  return n;
}

class NatsSession final : public Session {
 public:
  NatsSession(const Identity& who, const SessionOptions& options) : inbox_("_INBOX." + who.id + ".") {
    const auto stream = "KV_" + options.nats_bucket;
    const auto key_subject = "$KV." + options.nats_bucket + ".";
    const auto create = "$JS.API.CONSUMER.CREATE." + stream;
    greeting_ =
        R"(CONNECT {"verbose":false,"pedantic":false,"headers":true,"lang":"henge-loadgen","version":"1"})"
        "\r\nSUB " +
        inbox_ + "r.* 1\r\nSUB " + inbox_ + "w.own 2\r\nSUB " + inbox_ + "w.all 3\r\n" +
        publish(create, inbox_ + "r.own",
                consumer_create(stream, inbox_ + "w.own", key_subject + options.prefix + who.id)) +
        publish(create, inbox_ + "r.all", consumer_create(stream, inbox_ + "w.all", key_subject + options.shared));
  }

  [[nodiscard]] std::string greeting(std::int64_t) const override { return greeting_; }

  void feed(std::string_view bytes, Heard& out) override {
    buffer_.append(bytes);
    std::size_t at = 0;
    while (!out.failed) {
      const auto eol = buffer_.find("\r\n", at);
      if (eol == std::string::npos) {
        if (buffer_.size() - at > kMaxLine) out.failed = true;
        break;
      }
      const std::string_view line = std::string_view(buffer_).substr(at, eol - at);
      std::size_t used = eol + 2 - at;
      if (line.starts_with("MSG ") || line.starts_with("HMSG ")) {
        const auto message = parse_message(line);
        if (!message) {
          out.failed = true;
          break;
        }
        if (buffer_.size() - (eol + 2) < message->total + 2) {
          if (message->total > kMaxPayload) out.failed = true;
          break;  // the payload has not all arrived
        }
        const std::string_view payload =
            std::string_view(buffer_).substr(eol + 2 + message->headers, message->total - message->headers);
        on_message(message->sid, payload, out);
        used += message->total + 2;
      } else if (line == "PING") {
        out.reply += "PONG\r\n";
      } else if (!(line == "PONG" || line == "+OK" || line.starts_with("INFO "))) {
        out.failed = true;  // -ERR, or what is never sent to a client
      }
      at += used;
    }
    buffer_.erase(0, at);
  }

 private:
  struct Message {
    std::string_view sid;     // which subscription: 1 answers, 2 and 3 deliveries
    std::size_t headers = 0;  // bytes of headers before the payload (HMSG)
    std::size_t total = 0;    // headers and payload
  };

  // MSG <subject> <sid> [reply-to] <bytes>, or HMSG … <header bytes> <total bytes>.
  static std::optional<Message> parse_message(std::string_view line) {
    std::array<std::string_view, 6> w;
    const auto n = split(line, w);
    const bool with_headers = w[0] == "HMSG";
    const std::size_t sizes = with_headers ? 2 : 1;
    if (n < 3 + sizes || n > 4 + sizes) return std::nullopt;
    Message m{w[2]};
    const auto total = parse_number(w[n - 1]);
    const auto headers = with_headers ? parse_number(w[n - 2]) : 0;
    if (total < 0 || headers < 0 || headers > total) return std::nullopt;
    m.total = static_cast<std::size_t>(total);
    m.headers = static_cast<std::size_t>(headers);
    return m;
  }

  void on_message(std::string_view sid, std::string_view payload, Heard& out) {
    if (sid == "1") {  // a consumer create's answer
      if (payload.find(R"("error")") != std::string_view::npos) {
        out.failed = true;  // no stream yet, or JetStream busy: try again later
      } else if (++created_ == 2) {
        out.opened = true;
      }
    } else if (sid == "2" || sid == "3") {
      if (const auto n = parse_number(payload); n > 0) out.revisions.push_back(n);
    } else {
      out.failed = true;
    }
  }

  std::string inbox_;  // "_INBOX.<id>."
  std::string greeting_;
  std::string buffer_;  // an incomplete line or message
  int created_ = 0;
};

}  // namespace

std::unique_ptr<Session> make_nats_session(const Identity& who, const SessionOptions& options) {
  return std::make_unique<NatsSession>(who, options);
}

}  // namespace henge::loadgen
