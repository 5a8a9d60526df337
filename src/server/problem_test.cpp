#include "server/problem.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace henge::server {
namespace {

using core::Errc;

TEST(Problem, EveryCodeHasItsStatus) {
  const std::pair<Errc, int> cases[] = {
      {Errc::invalid, 400},
      {Errc::validation_failed, 422},
      {Errc::not_found, 404},
      {Errc::conflict, 409},
      {Errc::precondition_failed, 412},
      {Errc::unauthorized, 401},
      {Errc::forbidden, 403},
      {Errc::too_large, 413},
      {Errc::unsupported_media_type, 415},
      {Errc::method_not_allowed, 405},
      {Errc::rate_limited, 429},
      {Errc::unavailable, 503},
      {Errc::internal, 500},
      {Errc::header_too_large, 431},
  };
  for (auto [code, status] : cases) EXPECT_EQ(http_status(code), status);
}

TEST(Problem, BodyIsRfc9457WithFieldErrors) {
  auto r = problem(core::make_error(Errc::validation_failed, "bad", {{"pi-1", "/led", "too big"}}), "req-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body["status"], 422);
  EXPECT_EQ(body["detail"], "bad");
  EXPECT_EQ(body["request_id"], "req-1");
  auto err = body["errors"].as_array()[0].as_object();
  EXPECT_EQ(err["device"], "pi-1");
  EXPECT_EQ(err["path"], "/led");
}

TEST(Problem, UnauthorizedAsksForBearer) {
  auto r = problem(core::make_error(Errc::unauthorized, "no"), "");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "Bearer");
}

}  // namespace
}  // namespace henge::server
