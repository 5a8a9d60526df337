// henge device import FILE: registers the devices a CSV file lists, through
// POST /v1/devices:batch, and hands over their tokens.
//
//   id,schema,groups,labels
//   pi-001,pi-led,kitchen;floor-1,room=kitchen;rack=2
//
// Only `id` is required; groups and labels are lists separated by ';'. Each request is
// atomic; a file too large for one request goes in several, and the tokens of every
// request that succeeded are handed over even when a later one fails.

#include <boost/json.hpp>
#include <iostream>
#include <iterator>

#include "cli/context.hpp"
#include "cli/csv.hpp"
#include "cli/output.hpp"
#include "files/atomic_file.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

constexpr std::size_t kMaxFile = 256 << 20;
constexpr std::size_t kMaxRequestBytes = 768 << 10;  // below henged's default 1 MiB body limit

struct ImportFlags {
  std::string file;
  std::string tokens_file;
  std::size_t batch = 10'000;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(';', start);
    if (end == std::string::npos) end = s.size();
    auto item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

struct Row {
  std::size_t line;
  json::object device;
};

core::Result<std::vector<Row>> devices_of(const std::vector<CsvRow>& rows) {
  if (rows.empty())
    return make_error(Errc::invalid, "the file is empty: it needs a header line (id,schema,groups,labels)");
  const auto& header = rows.front().fields;
  int id_col = -1;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const auto& name = header[c];
    if (name != "id" && name != "schema" && name != "groups" && name != "labels") {
      return make_error(Errc::invalid, "line 1: unknown column '" + name + "' (columns: id, schema, groups, labels)");
    }
    if (name == "id") id_col = static_cast<int>(c);
  }
  if (id_col < 0) return make_error(Errc::invalid, "line 1: the header has no 'id' column");
  std::vector<Row> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.fields.size() != header.size()) {
      return make_error(Errc::invalid, "line " + std::to_string(row.line) + ": " + std::to_string(row.fields.size()) +
                                           " fields, the header has " + std::to_string(header.size()));
    }
    json::object d;
    for (std::size_t c = 0; c < header.size(); ++c) {
      const auto& name = header[c];
      const auto& value = row.fields[c];
      if (name == "id") {
        d["id"] = value;
      } else if (name == "schema") {
        if (!value.empty()) d["schema"] = value;
      } else if (name == "groups") {
        json::array groups;
        for (auto& g : split_list(value)) groups.emplace_back(g);
        if (!groups.empty()) d["groups"] = std::move(groups);
      } else {
        json::object labels;
        for (const auto& kv : split_list(value)) {
          const auto eq = kv.find('=');
          if (eq == std::string::npos || eq == 0) {
            return make_error(Errc::invalid,
                              "line " + std::to_string(row.line) + ": labels are key=value;…, not '" + kv + "'");
          }
          labels[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        if (!labels.empty()) d["labels"] = std::move(labels);
      }
    }
    out.push_back({row.line, std::move(d)});
  }
  if (out.empty()) return make_error(Errc::invalid, "the file lists no devices, only a header");
  return out;
}

// The server names an item by its index in the request; people want the file's line.
std::string with_lines(const std::string& message, const std::vector<Row>& rows, std::size_t first) {
  static constexpr std::string_view kPrefix = "/devices/";
  std::string out;
  std::size_t i = 0;
  while (i < message.size()) {
    if (message.compare(i, kPrefix.size(), kPrefix) != 0) {
      out.push_back(message[i++]);
      continue;
    }
    std::size_t j = i + kPrefix.size();
    std::size_t index = 0;
    while (j < message.size() && message[j] >= '0' && message[j] <= '9') index = index * 10 + (message[j++] - '0');
    if (j == i + kPrefix.size() || first + index >= rows.size()) {
      out.append(message, i, j - i);
    } else {
      out += "line " + std::to_string(rows[first + index].line);
      while (j < message.size() && message[j] != ':' && message[j] != ' ') ++j;  // the field within the item
    }
    i = j;
  }
  return out;
}

}  // namespace

void add_device_import_command(CLI::App& device, Context& ctx) {
  auto flags = std::make_shared<ImportFlags>();
  auto* import = device.add_subcommand("import", "Register the devices a CSV file lists (id,schema,groups,labels)");
  import->add_option("file", flags->file, "CSV file with a header line; - for stdin")->required();
  import->add_option("--tokens-file", flags->tokens_file,
                     "Write id,token lines to this file (0600) instead of printing them");
  import->add_option("--batch", flags->batch, "Devices per request, each registered atomically (at most 10000)")
      ->check(CLI::Range(1, 10'000));
  on_run(import, ctx, [&ctx, flags]() -> core::Status {
    std::string text;
    if (flags->file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      auto file = files::read_file(flags->file, kMaxFile);
      if (!file.ok()) return std::move(file).error();
      text = std::move(*file);
    }
    auto csv = parse_csv(text);
    if (!csv.ok()) return std::move(csv).error();
    auto rows = devices_of(*csv);
    if (!rows.ok()) return std::move(rows).error();

    json::array registered;  // {id, token}, in file order
    core::Status failure;
    for (std::size_t first = 0; first < rows->size();) {
      json::array batch;
      std::size_t bytes = 0;
      std::size_t next = first;
      while (next < rows->size() && batch.size() < flags->batch) {
        const auto size = json::serialize((*rows)[next].device).size() + 1;
        if (!batch.empty() && bytes + size > kMaxRequestBytes) break;
        bytes += size;
        batch.push_back((*rows)[next++].device);
      }
      auto answer = ctx.call(ApiCall{"POST",
                                     "/v1/devices:batch",
                                     json::value(json::object{{"devices", std::move(batch)}}),
                                     "application/json",
                                     {}});
      if (!answer.ok()) {
        auto e = std::move(answer).error();
        e.message = with_lines(e.message, *rows, first);
        if (!registered.empty()) {
          e.message += "\n(lines " + std::to_string((*rows)[first].line) + " on were not registered; the " +
                       std::to_string(registered.size()) + " before them were)";
        }
        failure = std::move(e);
        break;
      }
      ctx.warn(answer->body);
      for (const auto& d : answer->body.at("devices").as_array()) registered.push_back(d);
      first = next;
    }

    // The tokens of what was registered are handed over whatever happened after.
    std::string lines;
    for (const auto& d : registered) lines += csv_field(field(d, "id")) + "," + field(d, "token") + "\n";
    if (!flags->tokens_file.empty() && !registered.empty()) {
      if (auto st = write_secret_file(flags->tokens_file, "id,token\n" + lines); !st.ok()) return st;
    }
    if (ctx.json()) {
      if (flags->tokens_file.empty()) {
        *ctx.out << pretty_json(json::object{{"devices", registered}}) << "\n";
      } else {
        *ctx.out << pretty_json(json::object{{"registered", registered.size()}, {"tokens_file", flags->tokens_file}})
                 << "\n";
      }
    } else if (flags->tokens_file.empty()) {
      if (!registered.empty()) *ctx.out << "id,token\n" << lines;
    } else if (!registered.empty()) {
      *ctx.out << registered.size() << " devices registered; tokens written to " << flags->tokens_file
               << " (mode 0600)\n";
    }
    return failure;
  });
}

}  // namespace henge::cli
