#include "core/schema_formats.hpp"

#include <gtest/gtest.h>

namespace henge::core {
namespace {

TEST(SchemaFormats, Dates) {
  for (const char* ok : {"2026-11-27", "2024-02-29", "2000-02-29", "0001-01-01", "2026-12-31"}) {
    EXPECT_TRUE(is_rfc3339_date(ok)) << ok;
  }
  for (const char* bad : {"", "2026-11-7", "26-11-27", "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31",
                          "2023-02-29", "1900-02-29", "2026/11/27", "2026-11-27 ", "20261-11-27", "2O26-11-27"}) {
    EXPECT_FALSE(is_rfc3339_date(bad)) << bad;
  }
}

TEST(SchemaFormats, Times) {
  for (const char* ok : {"16:52:45Z", "16:52:45z", "00:00:00+00:00", "23:59:60-12:30", "16:52:45.123456Z"}) {
    EXPECT_TRUE(is_rfc3339_time(ok)) << ok;
  }
  for (const char* bad : {"", "16:52:45", "24:00:00Z", "16:60:00Z", "16:52:61Z", "16:52:45.Z", "16:52:45+2:00",
                          "16:52:45+02:00 ", "16:52:45|02:00", "16:52Z", "16:52:45+24:00"}) {
    EXPECT_FALSE(is_rfc3339_time(bad)) << bad;
  }
}

TEST(SchemaFormats, DateTimes) {
  EXPECT_TRUE(is_rfc3339_date_time("2026-11-27T16:52:45Z"));
  EXPECT_TRUE(is_rfc3339_date_time("2026-11-27t16:52:45.5+01:00"));
  for (const char* bad :
       {"2026-11-27", "2026-11-27T", "2026-11-27 16:52:45Z", "2026-11-31T16:52:45Z", "2026-11-27T16:52:45"}) {
    EXPECT_FALSE(is_rfc3339_date_time(bad)) << bad;
  }
}

}  // namespace
}  // namespace henge::core
