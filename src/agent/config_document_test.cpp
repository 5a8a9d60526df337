#include "agent/config_document.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/json_policy.hpp"

namespace henge::agent {
namespace {

std::string document(std::int64_t revision, const std::string& config, const std::string& sha) {
  return "{\"revision\":" + std::to_string(revision) + ",\"schema\":\"led@1\",\"sha256\":\"" + sha +
         "\",\"config\":" + config + "}";
}

TEST(ConfigDocument, TakesTheConfigBytesAsSentAndChecksTheirHash) {
  const std::string config = R"({"led":{"on":true},"name":"a"})";
  auto doc = parse_config_document(document(42, config, core::sha256_hex(config)));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->revision, 42);
  EXPECT_EQ(doc->schema, "led@1");
  EXPECT_EQ(doc->config_bytes, config);
  EXPECT_EQ(doc->config.at("led").at("on"), true);
}

TEST(ConfigDocument, AConfigAtTheDepthLimitIsReadInsideItsEnvelope) {
  // 32 levels is what henged accepts; the event around it adds one more.
  std::string config = "1";
  for (std::size_t i = 0; i < core::kMaxDepth; ++i) config = "{\"a\":" + config + "}";
  auto doc = parse_config_document(document(7, config, core::sha256_hex(config)));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->config_bytes, config);
}

TEST(ConfigDocument, RefusesAWrongHashAndBrokenDocuments) {
  const std::string config = R"({"a":1})";
  EXPECT_FALSE(parse_config_document(document(1, config, core::sha256_hex("{}"))).ok());
  EXPECT_FALSE(parse_config_document("not json").ok());
  EXPECT_FALSE(parse_config_document(R"({"revision":1,"sha256":"x"})").ok());
  EXPECT_FALSE(parse_config_document(document(0, config, core::sha256_hex(config))).ok());
  // config not the last member: the slice is not the config.
  const std::string reordered = R"({"revision":1,"config":{"a":1},"sha256":")" + core::sha256_hex(config) + R"("})";
  EXPECT_FALSE(parse_config_document(reordered).ok());
}

}  // namespace
}  // namespace henge::agent
