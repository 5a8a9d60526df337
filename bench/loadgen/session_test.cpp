// The load generator's protocol sessions read what their servers send, split anywhere:
// henge's event stream, MQTT 3.1.1 packets (QoS 0 and 1), etcd's chunked watch
// responses, NATS's control lines and messages.

#include "session.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace henge::loadgen {
namespace {

const Identity kDevice{"fleet-7", "tok"};

// Feeds `bytes` one byte at a time, and all at once, and checks both hear the same.
Heard hear(Protocol p, std::string_view bytes) {
  auto whole = make_session(p, kDevice, {});
  Heard all;
  whole->feed(bytes, all);
  auto split = make_session(p, kDevice, {});
  Heard bytewise;
  for (char c : bytes) {
    Heard h;
    split->feed(std::string_view(&c, 1), h);
    bytewise.opened |= h.opened;
    bytewise.refused |= h.refused;
    bytewise.failed |= h.failed;
    bytewise.shutdown |= h.shutdown;
    if (h.retry_after_ms) bytewise.retry_after_ms = h.retry_after_ms;
    bytewise.revisions.insert(bytewise.revisions.end(), h.revisions.begin(), h.revisions.end());
    bytewise.reply += h.reply;
  }
  EXPECT_EQ(all.opened, bytewise.opened);
  EXPECT_EQ(all.refused, bytewise.refused);
  EXPECT_EQ(all.failed, bytewise.failed);
  EXPECT_EQ(all.revisions, bytewise.revisions);
  EXPECT_EQ(all.reply, bytewise.reply);
  return all;
}

// A PUBLISH; at QoS 1 with packet id `id`.
std::string mqtt_publish(std::string_view topic, std::string_view payload, unsigned qos = 0, unsigned id = 0) {
  std::string body{static_cast<char>(topic.size() >> 8), static_cast<char>(topic.size() & 0xff)};
  body.append(topic);
  if (qos > 0) body += std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
  body.append(payload);
  std::string out{static_cast<char>(0x30 | qos << 1)};
  for (auto n = body.size();;) {  // remaining length, 7 bits a byte
    auto byte = static_cast<char>(n % 128);
    n /= 128;
    out.push_back(static_cast<char>(n > 0 ? (byte | 0x80) : byte));
    if (n == 0) break;
  }
  return out + body;
}

TEST(HengeSession, AsksForTheStreamAndResumesFromTheLastRevision) {
  const auto s = make_session(Protocol::henge, kDevice, {});
  EXPECT_NE(s->greeting(0).find("GET /v1/device/stream HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(s->greeting(0).find("Authorization: Bearer tok\r\n"), std::string::npos);
  EXPECT_EQ(s->greeting(0).find("Last-Event-ID"), std::string::npos);
  EXPECT_NE(s->greeting(12).find("Last-Event-ID: 12\r\n"), std::string::npos);
}

TEST(HengeSession, OpensOnA200AndHearsConfigEvents) {
  const auto h =
      hear(Protocol::henge,
           "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
           "retry: 2500\n\nevent: config\nid: 7\ndata: {}\n\n: keepalive\n\nevent: config\nid: 9\ndata: {}\n\n");
  EXPECT_TRUE(h.opened);
  EXPECT_FALSE(h.failed);
  EXPECT_EQ(h.revisions, (std::vector<std::int64_t>{7, 9}));
  EXPECT_EQ(h.retry_ms, 2500);
}

TEST(HengeSession, GivesUpOnARefusedTokenAndBacksOffOnABusyServer) {
  EXPECT_TRUE(hear(Protocol::henge, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n").refused);
  const auto busy = hear(Protocol::henge, "HTTP/1.1 503 Service Unavailable\r\nretry-after: 3\r\n\r\n");
  EXPECT_TRUE(busy.failed);
  EXPECT_FALSE(busy.refused);
  EXPECT_EQ(busy.retry_after_ms, 3000);
}

TEST(HengeSession, ComesBackAfterAShutdownButNotAfterADeletion) {
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  const auto shutdown = hear(Protocol::henge, head + "event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n");
  EXPECT_TRUE(shutdown.shutdown);
  EXPECT_FALSE(shutdown.refused);
  EXPECT_TRUE(hear(Protocol::henge, head + "event: goaway\ndata: {\"reason\":\"deleted\"}\n\n").refused);
}

TEST(MqttSession, ConnectsAndSubscribesToItsOwnTopicAndTheSharedOne) {
  const auto g = make_session(Protocol::mqtt, kDevice, {})->greeting(0);
  ASSERT_GT(g.size(), 12u);
  EXPECT_EQ(g[0], '\x10');  // CONNECT
  EXPECT_EQ(g.substr(2, 7), std::string("\0\4MQTT\4", 7));
  EXPECT_NE(g.find("fleet-7"), std::string::npos);
  const auto sub = g.find('\x82');  // SUBSCRIBE, flags 0010
  ASSERT_NE(sub, std::string::npos);
  EXPECT_NE(g.find(std::string("\0\x0b"
                               "dev/fleet-7\0",
                               14),
                   sub),
            std::string::npos);
  EXPECT_NE(g.find(std::string("\0\x05"
                               "fleet\0",
                               8),
                   sub),
            std::string::npos);
}

TEST(MqttSession, OpensOnTheSubackAndHearsEachPublish) {
  const std::string connack("\x20\x02\x00\x00", 4);
  const std::string suback("\x90\x04\x00\x01\x00\x00", 6);
  const std::string pingresp("\xd0\x00", 2);
  // A payload long enough for a two-byte remaining length, then two more publishes.
  const auto h = hear(Protocol::mqtt, connack + suback + mqtt_publish("fleet", "41" + std::string(200, ' ')) +
                                          pingresp + mqtt_publish("dev/fleet-7", "42") + mqtt_publish("fleet", "43"));
  EXPECT_TRUE(h.opened);
  EXPECT_FALSE(h.failed);
  EXPECT_EQ(h.revisions, (std::vector<std::int64_t>{42, 43}));  // "41   …" is not a number
}

TEST(MqttSession, GivesUpWhenTheBrokerRefuses) {
  EXPECT_TRUE(hear(Protocol::mqtt, std::string("\x20\x02\x00\x05", 4)).refused);  // not authorized
  const std::string connack("\x20\x02\x00\x00", 4);
  EXPECT_TRUE(hear(Protocol::mqtt, connack + std::string("\x90\x04\x00\x01\x00\x80", 6)).refused);
  EXPECT_FALSE(hear(Protocol::mqtt, connack + std::string("\x90\x04\x00\x01\x00\x80", 6)).opened);
}

TEST(MqttSession, AtQos1KeepsItsSessionAndAcknowledgesEachPublish) {
  const auto qos0 = make_session(Protocol::mqtt, kDevice, {})->greeting(0);
  const auto qos1 = make_session(Protocol::mqtt_qos1, kDevice, {})->greeting(0);
  // CONNECT's flags byte follows "\0\4MQTT\4": clean session at QoS 0 only.
  EXPECT_EQ(qos0[9], '\x02');
  EXPECT_EQ(qos1[9], '\x00');
  // Each topic filter is followed by the QoS asked for.
  EXPECT_NE(qos1.find(std::string("dev/fleet-7\1", 12)), std::string::npos);
  EXPECT_NE(qos1.find(std::string("fleet\1", 6)), std::string::npos);
  EXPECT_EQ(qos1.find(std::string("fleet\0", 6)), std::string::npos);

  const std::string open = std::string("\x20\x02\x01\x00", 4) + std::string("\x90\x04\x00\x01\x01\x01", 6);
  const auto h = hear(Protocol::mqtt_qos1,
                      open + mqtt_publish("fleet", "51", 1, 0x0102) + mqtt_publish("dev/fleet-7", "52", 1, 7));
  EXPECT_TRUE(h.opened);
  EXPECT_FALSE(h.failed);
  EXPECT_EQ(h.revisions, (std::vector<std::int64_t>{51, 52}));
  EXPECT_EQ(h.reply, std::string("\x40\x02\x01\x02\x40\x02\x00\x07", 8));  // a PUBACK for each, by id
  // A QoS 1 PUBLISH too short for its packet id, and QoS 2 (never granted), end it.
  EXPECT_TRUE(hear(Protocol::mqtt_qos1, open + std::string("\x32\x03\x00\x01x", 5)).failed);
  EXPECT_TRUE(hear(Protocol::mqtt_qos1, open + mqtt_publish("fleet", "53", 2, 1)).failed);
  // At QoS 0 nothing is acknowledged.
  EXPECT_TRUE(hear(Protocol::mqtt, open + mqtt_publish("fleet", "54")).reply.empty());
}

TEST(MqttSession, AnUnexpectedPacketEndsTheConnection) {
  EXPECT_TRUE(hear(Protocol::mqtt, std::string("\x20\x02\x00\x00\xb0\x02\x00\x01", 8)).failed);  // UNSUBACK
}

std::string chunk(std::string_view data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

TEST(EtcdSession, WatchesItsOwnKeyAndTheSharedOneInOneRequest) {
  const auto g = make_session(Protocol::etcd, kDevice, {})->greeting(0);
  EXPECT_EQ(g.rfind("POST /v3/watch HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(g.find(R"({"create_request":{"key":"ZGV2L2ZsZWV0LTc="}})"), std::string::npos);  // dev/fleet-7
  EXPECT_NE(g.find(R"({"create_request":{"key":"ZmxlZXQ="}})"), std::string::npos);          // fleet
  const auto body = g.substr(g.find("\r\n\r\n") + 4);
  EXPECT_NE(g.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
}

TEST(EtcdSession, OpensOnceBothWatchesAreCreatedAndHearsEvents) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string created = R"({"result":{"header":{"revision":"2"},"created":true}})";
  const std::string event =
      R"({"result":{"header":{"revision":"9"},"events":[{"kv":{"key":"ZmxlZXQ=","mod_revision":"9","value":"MQ=="}}]}})";
  const auto one = hear(Protocol::etcd, head + chunk(created + "\n"));
  EXPECT_FALSE(one.opened);
  // A response may straddle chunks, and a chunk may hold more than one.
  const auto both = hear(Protocol::etcd, head + chunk(created + "\n" + created.substr(0, 10)) +
                                             chunk(created.substr(10) + "\n") + chunk(event + "\n"));
  EXPECT_TRUE(both.opened);
  EXPECT_FALSE(both.failed);
  EXPECT_EQ(both.revisions, (std::vector<std::int64_t>{9}));
}

TEST(EtcdSession, AnErrorACancelledWatchOrTheEndOfTheStreamEndsTheConnection) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_TRUE(hear(Protocol::etcd, "HTTP/1.1 503 Service Unavailable\r\n\r\n").failed);
  EXPECT_TRUE(hear(Protocol::etcd, head + chunk(R"({"result":{"canceled":true}})"
                                                "\n"))
                  .failed);
  EXPECT_TRUE(hear(Protocol::etcd, head + chunk(R"({"error":{"grpc_code":14}})"
                                                "\n"))
                  .failed);
  EXPECT_TRUE(hear(Protocol::etcd, head + "0\r\n\r\n").failed);
  EXPECT_TRUE(hear(Protocol::etcd, head + "zz\r\n").failed);
}

// A MSG for subscription `sid`: 1 is the answers' inbox, 2 and 3 the deliveries (which
// come under the key's own subject, with an ack subject to reply to).
std::string nats_msg(std::string_view sid, std::string_view payload) {
  const std::string head = sid == "1" ? "MSG _INBOX.fleet-7.r.own 1 "
                                      : "MSG $KV.henge.fleet " + std::string(sid) + " $JS.ACK.KV_henge.c.1.9.9.0.0 ";
  return head + std::to_string(payload.size()) + "\r\n" + std::string(payload) + "\r\n";
}

const std::string kCreated = R"({"type":"io.nats.jetstream.api.v1.consumer_create_response","name":"x"})";

TEST(NatsSession, SubscribesThenCreatesAConsumerForItsOwnKeyAndTheSharedOne) {
  const auto g = make_session(Protocol::nats, kDevice, {})->greeting(0);
  EXPECT_EQ(g.rfind("CONNECT {", 0), 0u);
  EXPECT_NE(g.find(R"("verbose":false)"), std::string::npos);
  const auto sub =
      g.find("\r\nSUB _INBOX.fleet-7.r.* 1\r\nSUB _INBOX.fleet-7.w.own 2\r\nSUB _INBOX.fleet-7.w.all 3\r\n");
  const auto own = g.find("PUB $JS.API.CONSUMER.CREATE.KV_henge _INBOX.fleet-7.r.own ");
  const auto all = g.find("PUB $JS.API.CONSUMER.CREATE.KV_henge _INBOX.fleet-7.r.all ");
  ASSERT_NE(sub, std::string::npos);
  ASSERT_NE(own, std::string::npos);
  ASSERT_NE(all, std::string::npos);
  EXPECT_LT(sub, own);  // subscribed before anything can be delivered
  EXPECT_NE(g.find(R"("filter_subject":"$KV.henge.dev/fleet-7")", own), std::string::npos);
  EXPECT_NE(g.find(R"("deliver_subject":"_INBOX.fleet-7.w.own")", own), std::string::npos);
  EXPECT_NE(g.find(R"("filter_subject":"$KV.henge.fleet")", all), std::string::npos);
  EXPECT_NE(g.find(R"("deliver_policy":"last_per_subject")"), std::string::npos);
  // Each PUB's size is its payload's: the line after it, to its CRLF.
  const auto size_at = g.find(' ', g.find(".r.own", own)) + 1;
  const auto line_end = g.find("\r\n", own);
  const auto size = std::stoul(g.substr(size_at, line_end - size_at));
  EXPECT_EQ(g.substr(line_end + 2 + size, 2), "\r\n");
  EXPECT_EQ(g.substr(line_end + 2 + size + 2, 4), "PUB ");
}

TEST(NatsSession, OpensOnceBothConsumersAreCreatedAndHearsEachPut) {
  const std::string info = R"(INFO {"server_id":"x","jetstream":true})"
                           "\r\n";
  EXPECT_FALSE(hear(Protocol::nats, info + nats_msg("1", kCreated)).opened);
  const std::string hmsg = "HMSG $KV.henge.fleet 3 $JS.ACK.KV_henge.c.1.9.9.0.0 12 14\r\nNATS/1.0\r\n\r\n63\r\n";
  const auto h = hear(Protocol::nats, info + nats_msg("1", kCreated) + "PING\r\n" + nats_msg("1", kCreated) +
                                          nats_msg("2", "61") + "+OK\r\n" + nats_msg("3", "62") + hmsg);
  EXPECT_TRUE(h.opened);
  EXPECT_FALSE(h.failed);
  EXPECT_EQ(h.revisions, (std::vector<std::int64_t>{61, 62, 63}));
  EXPECT_EQ(h.reply, "PONG\r\n");  // the server's PING answered
}

TEST(NatsSession, AnErrorOrAnUnknownLineEndsTheConnection) {
  const std::string error = R"({"type":"x","error":{"code":404,"description":"stream not found"}})";
  const auto refused = hear(Protocol::nats, nats_msg("1", error));
  EXPECT_TRUE(refused.failed);
  EXPECT_FALSE(refused.refused);  // the bucket may yet be made: try again
  EXPECT_TRUE(hear(Protocol::nats, "-ERR 'Authorization Violation'\r\n").failed);
  EXPECT_TRUE(hear(Protocol::nats, "WHAT\r\n").failed);
  EXPECT_TRUE(hear(Protocol::nats, "MSG $KV.henge.fleet 2 zz\r\n").failed);
  EXPECT_TRUE(hear(Protocol::nats, "HMSG $KV.henge.fleet 2 9 3\r\nabc\r\n").failed);  // headers > total
  EXPECT_TRUE(hear(Protocol::nats, nats_msg("4", "5")).failed);                       // no such subscription
}

TEST(Protocol, HasFiveNames) {
  EXPECT_EQ(parse_protocol("henge"), Protocol::henge);
  EXPECT_EQ(parse_protocol("mqtt"), Protocol::mqtt);
  EXPECT_EQ(parse_protocol("mqtt-qos1"), Protocol::mqtt_qos1);
  EXPECT_EQ(parse_protocol("etcd"), Protocol::etcd);
  EXPECT_EQ(parse_protocol("nats"), Protocol::nats);
  EXPECT_FALSE(parse_protocol("amqp"));
}

}  // namespace
}  // namespace henge::loadgen
