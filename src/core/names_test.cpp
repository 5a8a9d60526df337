#include "core/names.hpp"

#include <gtest/gtest.h>

namespace henge::core {
namespace {

TEST(Names, AcceptsTheDesignedAlphabet) {
  const std::string longest = "a" + std::string(62, '-');
  for (const std::string& ok :
       {std::string("a"), std::string("0"), std::string("pi-1"), std::string("lab.kitchen_2"), longest}) {
    EXPECT_TRUE(is_valid_name(ok)) << ok;
  }
}

TEST(Names, RejectsEverythingElse) {
  const std::string too_long(64, 'a');
  for (const std::string& bad : {std::string(""), std::string("-a"), std::string(".a"), std::string("A"),
                                 std::string("a b"), std::string("a/b"), std::string("é"), too_long}) {
    EXPECT_FALSE(is_valid_name(bad)) << bad;
    EXPECT_EQ(check_name("device id", bad).error().code, Errc::invalid);
  }
}

}  // namespace
}  // namespace henge::core
