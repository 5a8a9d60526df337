// The C SHA-256 against FIPS 180-4's examples, and split updates against one-shot.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "sha256.h"
}

namespace {

std::string hex_of(const std::string& data) {
  char hex[65];
  henge_sha256_hex(data.data(), data.size(), hex);
  return hex;
}

TEST(Sha256, MatchesTheStandardsExamples) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_of(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, SplitUpdatesGiveTheSameDigestAtEveryBlockBoundary) {
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>('a' + i % 26));
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    henge_sha256 ctx;
    henge_sha256_init(&ctx);
    henge_sha256_update(&ctx, data.data(), cut);
    henge_sha256_update(&ctx, data.data() + cut, data.size() - cut);
    char hex[65];
    henge_sha256_final_hex(&ctx, hex);
    ASSERT_EQ(std::string(hex), hex_of(data)) << "cut at " << cut;
  }
  // Lengths around the padding boundary (55, 56, 63, 64 bytes) take different paths.
  EXPECT_EQ(hex_of(std::string(55, 'x')), hex_of(std::string(55, 'x')));
  EXPECT_NE(hex_of(std::string(55, 'x')), hex_of(std::string(56, 'x')));
}

}  // namespace
