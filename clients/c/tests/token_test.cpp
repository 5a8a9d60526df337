// henge_read_token_file: the first line without its end; empty, cut or missing is refused.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "henge.h"

namespace {

std::string write_temp(const std::string& content) {
  char path[] = "/tmp/henge-token-XXXXXX";
  const int fd = mkstemp(path);
  FILE* f = fdopen(fd, "w");
  std::fputs(content.c_str(), f);
  std::fclose(f);
  return path;
}

TEST(CToken, ReadsTheFirstLineWithoutItsEnd) {
  char token[64];
  for (const char* content : {"hdt_abc\n", "hdt_abc\r\n", "hdt_abc", "hdt_abc\nsecond line\n"}) {
    const auto path = write_temp(content);
    EXPECT_EQ(henge_read_token_file(path.c_str(), token, sizeof token), HENGE_OK) << content;
    EXPECT_STREQ(token, "hdt_abc");
    std::remove(path.c_str());
  }
}

TEST(CToken, RefusesMissingEmptyAndCutTokens) {
  char token[8];
  EXPECT_EQ(henge_read_token_file("/nonexistent/token", token, sizeof token), HENGE_ERR_INVALID);
  for (const char* content : {"", "\n", "hdt_much_too_long\n"}) {
    const auto path = write_temp(content);
    EXPECT_EQ(henge_read_token_file(path.c_str(), token, sizeof token), HENGE_ERR_INVALID) << content;
    std::remove(path.c_str());
  }
  const auto path = write_temp("hdt_abc\n");  // 7 characters fit in 8 bytes exactly
  EXPECT_EQ(henge_read_token_file(path.c_str(), token, sizeof token), HENGE_OK);
  EXPECT_STREQ(token, "hdt_abc");
  std::remove(path.c_str());
}

}  // namespace
