#include "server/router.hpp"

#include <gtest/gtest.h>

namespace henge::server {
namespace {

const int kA = 0, kB = 0, kC = 0, kD = 0;

Router make_router() {
  Router r;
  r.add("GET", "/v1/devices", &kA);
  r.add("POST", "/v1/devices", &kB);
  r.add("GET", "/v1/devices/{id}", &kC);
  r.add("PUT", "/v1/devices/{id}/config/{pointer*}", &kD);
  return r;
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  auto r = make_router();
  auto m = r.match("GET", "/v1/devices/pi-1");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.handler, &kC);
  EXPECT_EQ(m.params, std::vector<std::string>{"pi-1"});
  EXPECT_EQ(r.match("POST", "/v1/devices").handler, &kB);
}

TEST(Router, RestParameterTakesTheRemainingPathDecoded) {
  auto r = make_router();
  auto m = r.match("PUT", "/v1/devices/d/config/led/bright%20ness");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.params, (std::vector<std::string>{"d", "led/bright ness"}));
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto r = make_router();
  EXPECT_EQ(r.match("GET", "/v1/nothing").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match("GET", "/v1/devices/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match("GET", "/v1/devices/d/config").kind, RouteMatch::Kind::not_found);
  auto m = r.match("DELETE", "/v1/devices");
  ASSERT_EQ(m.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
}

TEST(Router, MalformedEscapeIsABadPath) {
  auto r = make_router();
  EXPECT_EQ(r.match("GET", "/v1/devices/%zz").kind, RouteMatch::Kind::bad_path);
  EXPECT_EQ(r.match("GET", "/v1/devices/%4").kind, RouteMatch::Kind::bad_path);
}

TEST(Query, DecodesPairs) {
  std::vector<std::pair<std::string, std::string>> q;
  ASSERT_TRUE(parse_query("a=1&b=x%3Dy&c&d=a+b", q));
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"b", "x=y"}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"d", "a b"}));
  EXPECT_FALSE(parse_query("a=%G0", q));
}

TEST(Router, HeadMatchesWhereverGetDoes) {
  Router r;
  int get = 0;
  int put = 0;
  r.add("GET", "/v1/devices/{id}", &get);
  r.add("PUT", "/v1/devices/{id}", &put);
  auto m = r.match("HEAD", "/v1/devices/pi-1");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.handler, &get);
  EXPECT_EQ(m.params, std::vector<std::string>{"pi-1"});
  auto refused = r.match("POST", "/v1/devices/pi-1");
  ASSERT_EQ(refused.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(refused.allow, "GET, HEAD, PUT");
}

}  // namespace
}  // namespace henge::server
