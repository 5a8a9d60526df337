/* SHA-256 against FIPS 180-4's examples, and split updates against one call. */
#include "hc_sha256.h"
#include "hc_test.h"
#include "tests.h"

static int digest_is(const void* data, size_t len, const char* expected) {
  char hex[65];
  hc_sha256_hex(data, len, hex);
  return strcmp(hex, expected) == 0;
}

void test_sha256_matches_the_standards_examples(void) {
  static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  char a[1000];
  char hex[65];
  hc_sha256 ctx;
  int i;
  CHECK(digest_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK(digest_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK(
      digest_is(two_blocks, sizeof two_blocks - 1, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  memset(a, 'a', sizeof a);
  hc_sha256_init(&ctx);
  for (i = 0; i < 1000; ++i) hc_sha256_update(&ctx, a, sizeof a); /* a million 'a' */
  hc_sha256_final_hex(&ctx, hex);
  CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

void test_sha256_split_updates_give_the_same_digest(void) {
  char data[200];
  char whole[65], split[65];
  size_t cut;
  int i;
  for (i = 0; i < 200; ++i) data[i] = (char)('a' + i % 26);
  hc_sha256_hex(data, sizeof data, whole);
  for (cut = 0; cut <= sizeof data; ++cut) {
    hc_sha256 ctx;
    hc_sha256_init(&ctx);
    hc_sha256_update(&ctx, data, cut);
    hc_sha256_update(&ctx, data + cut, sizeof data - cut);
    hc_sha256_final_hex(&ctx, split);
    CHECK(strcmp(split, whole) == 0);
  }
  /* Around the padding boundary (55, 56 and 64 bytes) the paths differ. */
  CHECK(digest_is(data, 55, "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005"));
  CHECK(digest_is(data, 56, "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51"));
  CHECK(digest_is(data, 64, "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e"));
}
