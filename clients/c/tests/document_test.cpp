// The C document check: the config's bytes as sent, their hash, and refusals.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "document.h"
#include "sha256.h"
}

namespace {

std::string sha(const std::string& s) {
  char hex[65];
  henge_sha256_hex(s.data(), s.size(), hex);
  return hex;
}

std::string document(const std::string& revision, const std::string& config, const std::string& hash) {
  return "{\"revision\":" + revision + ",\"schema\":\"led@1\",\"sha256\":\"" + hash + "\",\"config\":" + config + "}";
}

TEST(CDocument, TakesTheConfigBytesAsSentAndChecksTheirHash) {
  const std::string config = R"({"led":{"on":true},"name":"a"})";
  const auto text = document("42", config, sha(config));
  henge_document doc;
  char err[128];
  ASSERT_EQ(henge_document_parse(text.data(), text.size(), &doc, err, sizeof err), 0) << err;
  EXPECT_EQ(doc.revision, 42);
  EXPECT_EQ(std::string(doc.config, doc.config_len), config);
  EXPECT_STREQ(doc.schema, "led@1");
  EXPECT_EQ(std::string(doc.sha256), sha(config));
  henge_document_free(&doc);
  henge_document_free(nullptr);
}

TEST(CDocument, RefusesWrongHashesAndBrokenDocuments) {
  const std::string config = R"({"a":1})";
  const std::string bad[] = {
      document("1", config, sha("{}")),
      "not json",
      R"({"revision":1,"sha256":"x"})",
      document("0", config, sha(config)),
      document("1.5", config, sha(config)),
      document("\"7\"", config, sha(config)),
      R"({"revision":1,"config":{"a":1},"sha256":")" + sha(config) + R"("})",
      document("1", "[1]", sha("[1]")),
  };
  for (const auto& text : bad) {
    henge_document doc;
    char err[128];
    EXPECT_EQ(henge_document_parse(text.data(), text.size(), &doc, err, sizeof err), -1) << text;
    EXPECT_GT(std::string(err).size(), 0u);
    EXPECT_EQ(doc.config, nullptr);
  }
}

}  // namespace
