#include "cli/csv.hpp"

namespace henge::cli {

using core::Errc;
using core::make_error;

core::Result<std::vector<CsvRow>> parse_csv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  std::size_t line = 1;
  std::size_t i = 0;
  bool row_has_text = false;  // a line with nothing on it is no row
  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
  };
  auto end_row = [&] {
    end_field();
    if (row_has_text) rows.push_back(std::move(row));
    row = CsvRow{};
    row_has_text = false;
  };
  while (i < text.size()) {
    if (row.fields.empty() && field.empty() && !row_has_text) row.line = line;
    const char c = text[i];
    if (c == '"' && field.empty()) {
      const std::size_t opened = line;
      row_has_text = true;
      for (++i;; ++i) {
        if (i >= text.size())
          return make_error(Errc::invalid, "line " + std::to_string(opened) + ": a quote is never closed");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            ++i;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field.push_back(text[i]);
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return make_error(Errc::invalid, "line " + std::to_string(line) + ": text after a closing quote");
      }
      continue;
    }
    if (c == ',') {
      row_has_text = true;
      end_field();
    } else if (c == '\n') {
      end_row();
      ++line;
    } else if (c != '\r' || i + 1 >= text.size() || text[i + 1] != '\n') {
      row_has_text = true;
      field.push_back(c);
    }
    ++i;
  }
  if (row_has_text || !field.empty()) end_row();
  return rows;
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace henge::cli
