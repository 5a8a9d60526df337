#pragma once
// CSV as RFC 4180 writes it: comma-separated fields, double quotes around a field that
// holds commas, quotes or line breaks, a doubled quote for a quote; CRLF or LF line
// ends. For `henge device import`, whose files come from spreadsheets and scripts.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace henge::cli {

struct CsvRow {
  std::size_t line = 0;  ///< 1-based line where the row starts
  std::vector<std::string> fields;
};

/// Every row of `text`, blank lines skipped. Errc::invalid naming the line for a quote
/// that is never closed or text right after a closing quote.
core::Result<std::vector<CsvRow>> parse_csv(std::string_view text);

/// `field` quoted when it needs to be.
std::string csv_field(std::string_view field);

}  // namespace henge::cli
