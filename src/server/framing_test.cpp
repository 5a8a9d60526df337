#include "server/framing.hpp"

#include "server/server.hpp"

#include <gtest/gtest.h>

namespace henge::server {
namespace {

using core::Errc;

constexpr std::size_t kTarget = 8192;

std::optional<core::Error> check(const HeaderFields& fields, unsigned version = 11, std::string_view target = "/") {
  return framing_error(version, target, fields, kTarget);
}

TEST(Framing, AnOrdinaryRequestPasses) {
  EXPECT_FALSE(check({{"host", "h"}, {"content-length", "3"}}));
  EXPECT_FALSE(check({{"host", "h"}, {"transfer-encoding", "chunked"}}));
  EXPECT_FALSE(check({{"host", "h"}, {"transfer-encoding", " Chunked "}}));
  EXPECT_FALSE(check({}, 10));  // HTTP/1.0 needs no Host
}

TEST(Framing, SmuggledBodiesBehindANonChunkedFinalCodingAreRefused) {
  // Each of these was read as "no body", and the body as the next request.
  for (const char* te : {"gzip", "identity", "xchunked", "chunked, identity", "chunked;q=1, gzip", ""}) {
    auto e = check({{"host", "h"}, {"transfer-encoding", te}});
    ASSERT_TRUE(e) << te;
    EXPECT_EQ(e->code, Errc::invalid) << te;
  }
}

TEST(Framing, CodingsAcrossRepeatedFieldsAreReadInOrder) {
  auto e = check({{"host", "h"}, {"transfer-encoding", "chunked"}, {"transfer-encoding", "gzip"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::invalid);
  e = check({{"host", "h"}, {"transfer-encoding", "gzip"}, {"transfer-encoding", "chunked"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::not_implemented);
}

TEST(Framing, ACodingHengedDoesNotImplementIs501) {
  for (const char* te : {"gzip, chunked", "deflate,chunked", "br, chunked"}) {
    auto e = check({{"host", "h"}, {"transfer-encoding", te}});
    ASSERT_TRUE(e) << te;
    EXPECT_EQ(e->code, Errc::not_implemented) << te;
    EXPECT_NE(e->message.find("not implemented"), std::string::npos);
  }
}

TEST(Framing, ChunkedTwiceIsRefused) {
  auto e = check({{"host", "h"}, {"transfer-encoding", "chunked, chunked"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::invalid);
}

TEST(Framing, TransferEncodingBesideContentLengthIsRefused) {
  auto e = check({{"host", "h"}, {"content-length", "5"}, {"transfer-encoding", "gzip"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::invalid);
}

TEST(Framing, TransferEncodingOnHttp10IsRefused) {
  auto e = check({{"transfer-encoding", "chunked"}}, 10);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::invalid);
}

TEST(Framing, Http11NeedsExactlyOneHost) {
  auto none = check({});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->code, Errc::invalid);
  EXPECT_NE(none->message.find("Host"), std::string::npos);
  auto two = check({{"host", "a"}, {"host", "b"}});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->code, Errc::invalid);
}

TEST(Framing, AnOverlongTargetIs414) {
  const std::string target = "/" + std::string(kTarget, 'a');
  auto e = check({{"host", "h"}}, 11, target);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Errc::uri_too_long);
  EXPECT_FALSE(check({{"host", "h"}}, 11, target.substr(0, kTarget)));
}

TEST(Framing, AbsoluteFormTargetsBecomeOriginForm) {
  EXPECT_EQ(origin_form("http://localhost:8080/v1/devices?limit=2"), "/v1/devices?limit=2");
  EXPECT_EQ(origin_form("HTTPS://h/x"), "/x");
  EXPECT_EQ(origin_form("http://h"), "/");
  EXPECT_EQ(origin_form("http://h?x=1"), "/?x=1");
  EXPECT_EQ(origin_form("/v1/devices"), "/v1/devices");
  EXPECT_EQ(origin_form("/v1/x?next=http://y/z"), "/v1/x?next=http://y/z");
  EXPECT_EQ(origin_form("*"), "*");
  EXPECT_EQ(origin_form("ftp://h/x"), "ftp://h/x");
}

TEST(LoopbackAddress, OnlyLoopbackAddressesAreQuietAboutPlainHttp) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1:8080"));
  EXPECT_TRUE(is_loopback_address("127.4.5.6:1"));
  EXPECT_TRUE(is_loopback_address("[::1]:8080"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0:8080"));
  EXPECT_FALSE(is_loopback_address("[::]:8080"));
  EXPECT_FALSE(is_loopback_address("192.0.2.7:8080"));
  EXPECT_FALSE(is_loopback_address("nonsense"));
}

}  // namespace
}  // namespace henge::server
