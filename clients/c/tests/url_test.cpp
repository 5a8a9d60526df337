// The server URL: what henge_new accepts, taken apart once; what it refuses.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "url.h"
}

namespace {

TEST(CUrl, TakesTheServerApart) {
  hl_url u;
  ASSERT_EQ(hl_url_parse("http://henge.local", &u), 0);
  EXPECT_EQ(u.tls, 0);
  EXPECT_STREQ(u.host, "henge.local");
  EXPECT_STREQ(u.port, "80");
  EXPECT_STREQ(u.authority, "henge.local");
  EXPECT_STREQ(u.prefix, "");

  ASSERT_EQ(hl_url_parse("https://192.0.2.7:8443/fleet/one//", &u), 0);
  EXPECT_EQ(u.tls, 1);
  EXPECT_STREQ(u.host, "192.0.2.7");
  EXPECT_STREQ(u.port, "8443");
  EXPECT_STREQ(u.authority, "192.0.2.7:8443");
  EXPECT_STREQ(u.prefix, "/fleet/one");

  ASSERT_EQ(hl_url_parse("https://[::1]:9000/", &u), 0);
  EXPECT_STREQ(u.host, "::1");
  EXPECT_STREQ(u.port, "9000");
  EXPECT_STREQ(u.authority, "[::1]:9000");
  EXPECT_STREQ(u.prefix, "");
  ASSERT_EQ(hl_url_parse("https://[::1]", &u), 0);
  EXPECT_STREQ(u.port, "443");
}

TEST(CUrl, RefusesWhatIsNoServerUrl) {
  const std::string bad[] = {
      "",
      "henge.local",
      "ftp://h",
      "http://",
      "http://:80",
      "http://h:",
      "http://h:0",
      "http://h:65536",
      "http://h:8x",
      "http://u@h",
      "http://h?x",
      "http://h/a?x",
      "http://h#f",
      "http://[::1",
      "http://[]:80",
      "http://[::1]x",
      "http://h /a",
      "http://h\t",
      "http://h/\x7f",
      "http://h\r\nX: y",
      "http://" + std::string(300, 'a'),
      "http://h/" + std::string(600, 'p'),
  };
  for (const auto& text : bad) {
    hl_url u;
    EXPECT_EQ(hl_url_parse(text.c_str(), &u), -1) << text;
  }
}

}  // namespace
