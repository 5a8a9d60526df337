#include "cli/csv.hpp"

#include <gtest/gtest.h>

namespace henge::cli {
namespace {

std::vector<std::vector<std::string>> fields_of(std::string_view text) {
  auto rows = parse_csv(text);
  EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
  std::vector<std::vector<std::string>> out;
  if (rows.ok()) {
    for (auto& r : *rows) out.push_back(r.fields);
  }
  return out;
}

TEST(Csv, PlainQuotedAndEmptyFields) {
  EXPECT_EQ(fields_of("id,groups\r\npi-1,a;b\n\npi-2,\n"),
            (std::vector<std::vector<std::string>>{{"id", "groups"}, {"pi-1", "a;b"}, {"pi-2", ""}}));
  EXPECT_EQ(fields_of("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast"),
            (std::vector<std::vector<std::string>>{{"a,b", "say \"hi\"", "two\nlines"}, {"last"}}));
  EXPECT_EQ(fields_of(",\n"), (std::vector<std::vector<std::string>>{{"", ""}}));
}

TEST(Csv, RowsKnowTheirLine) {
  auto rows = parse_csv("h\n\n\"x\ny\"\nz\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].line, 1u);
  EXPECT_EQ((*rows)[1].line, 3u);
  EXPECT_EQ((*rows)[2].line, 5u);
}

TEST(Csv, BadQuotingNamesTheLine) {
  auto open = parse_csv("id\n\"pi-1\n");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("line 2"), std::string::npos) << open.error().message;
  auto after = parse_csv("id\n\"pi\"x,1\n");
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("line 2"), std::string::npos) << after.error().message;
}

TEST(Csv, FieldsRoundTrip) {
  for (std::string f : {"plain", "a,b", "say \"hi\"", "two\nlines", ""}) {
    auto rows = parse_csv(csv_field(f) + "," + csv_field(f) + "\n");
    ASSERT_TRUE(rows.ok()) << f;
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{f, f}));
  }
}

}  // namespace
}  // namespace henge::cli
