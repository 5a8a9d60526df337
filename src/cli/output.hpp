#pragma once
// How the CLI prints: aligned tables and "key: value" blocks for people, indented
// JSON for scripts (-o json).

#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace henge::cli {

/// Columns padded to their widest cell; the last column is not padded.
class Table final {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;
  [[nodiscard]] bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// JSON indented by two spaces, one member or element per line.
std::string pretty_json(const boost::json::value& value);

/// A value as a table cell: strings bare, null as "-", everything else as compact JSON.
std::string cell(const boost::json::value* value);

/// A schema reference ({"name","version"} or a name) as "name@version".
std::string schema_label(const boost::json::value* value);

/// The member `key` of an object value as a table cell ("-" when absent).
std::string field(const boost::json::value& object, std::string_view key);

}  // namespace henge::cli
