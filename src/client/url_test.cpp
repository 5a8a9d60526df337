#include "client/url.hpp"

#include <gtest/gtest.h>

namespace henge::client {
namespace {

TEST(Url, ParsesSchemeHostPortAndBasePath) {
  auto url = parse_url("HTTPS://henge.example.com:8443/base/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "henge.example.com");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->base_path, "/base");
  EXPECT_EQ(url->target("/v1/devices"), "/base/v1/devices");
  EXPECT_EQ(url->host_header(), "henge.example.com:8443");
}

TEST(Url, DefaultsThePortBySchemeAndOmitsItFromHost) {
  auto url = parse_url("http://127.0.0.1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->host_header(), "127.0.0.1");
  EXPECT_FALSE(url->tls());
  EXPECT_EQ(parse_url("https://h")->port, "443");
}

TEST(Url, BracketsIpv6) {
  auto url = parse_url("http://[::1]:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:8080");
}

TEST(Url, RejectsWhatIsNotAServerUrl) {
  for (const char* bad : {"127.0.0.1:8080", "ftp://h", "http://", "http://:80", "http://h:0", "http://h:99999",
                          "http://h:8x", "http://u:p@h", "http://h/?q=1", "http://[::1", "http://::1:80"}) {
    auto url = parse_url(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.error().code, core::Errc::invalid) << bad;
    }
  }
}

}  // namespace
}  // namespace henge::client
