#include "core/time_format.hpp"

#include <gtest/gtest.h>

namespace henge::core {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(1795716702123), "2026-11-26T18:11:42.123Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  for (TimeMs t : {TimeMs{0}, TimeMs{1795716702123}, TimeMs{951782400000} /* 2000-02-29 */, TimeMs{253402300799999}}) {
    EXPECT_EQ(parse_time(format_time(t)), t) << format_time(t);
  }
}

TEST(TimeFormat, ParsesFractionsAndOffsets) {
  EXPECT_EQ(parse_time("2026-11-26T18:11:42Z"), 1795716702000);
  EXPECT_EQ(parse_time("2026-11-26t18:11:42z"), 1795716702000);
  EXPECT_EQ(parse_time("2026-11-26T18:11:42.1Z"), 1795716702100);
  EXPECT_EQ(parse_time("2026-11-26T18:11:42.123456789Z"), 1795716702123);
  EXPECT_EQ(parse_time("2026-11-26T19:11:42+01:00"), 1795716702000);
  EXPECT_EQ(parse_time("2026-11-26T13:41:42-04:30"), 1795716702000);
}

TEST(TimeFormat, RefusesWhatIsNotAnRfc3339DateTime) {
  for (const char* bad :
       {"", "2026-11-26", "2026-11-26T18:11:42", "2026-11-26 18:11:42Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-26T24:00:00Z", "2026-11-26T18:60:00Z", "2026-11-26T18:11:42.Z", "2026-11-26T18:11:42+0100",
        "2026-11-26T18:11:42+24:00", "2026-11-26T18:11:42Zjunk", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00",
        "+2026-11-26T18:11:42Z", "2026-1-26T18:11:42Z", "tomorrow"}) {
    EXPECT_FALSE(parse_time(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace henge::core
