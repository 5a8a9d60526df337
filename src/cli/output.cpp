#include "cli/output.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace henge::cli {

namespace json = boost::json;

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> width(headers_.size(), 0);
  const auto measure = [&width](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << text << "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

namespace {

void pretty(const json::value& v, std::string& out, int depth) {
  const auto indent = [&out](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
  if (const auto* obj = v.if_object(); obj != nullptr && !obj->empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : *obj) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      out += json::serialize(json::string(key)) + ": ";
      pretty(value, out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "}";
  } else if (const auto* arr = v.if_array(); arr != nullptr && !arr->empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (i > 0) out += ",\n";
      indent(depth + 1);
      pretty((*arr)[i], out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const json::value& value) {
  std::string out;
  pretty(value, out, 0);
  return out;
}

std::string cell(const json::value* value) {
  if (value == nullptr || value->is_null()) return "-";
  if (value->is_string()) return std::string(value->as_string());
  return json::serialize(*value);
}

std::string schema_label(const json::value* value) {
  if (value == nullptr || !value->is_object()) return cell(value);
  const auto& o = value->as_object();
  const auto* name = o.if_contains("name");
  const auto* version = o.if_contains("version");
  return cell(name) + (version != nullptr && !version->is_null() ? "@" + cell(version) : "");
}

std::string field(const json::value& object, std::string_view key) {
  const auto* obj = object.if_object();
  return cell(obj == nullptr ? nullptr : obj->if_contains(key));
}

}  // namespace henge::cli
