#include "cli/edit_values.hpp"

#include <boost/json.hpp>

#include "cli/output.hpp"

namespace henge::cli {

namespace json = boost::json;

core::Result<std::vector<Assignment>> parse_assignments(const std::vector<std::string>& args) {
  std::vector<Assignment> out;
  for (const auto& arg : args) {
    auto assignment = parse_assignment(arg);
    if (!assignment.ok()) return std::move(assignment).error();
    out.push_back(std::move(*assignment));
  }
  return out;
}

core::Status edit_values(Context& ctx, const ValuesResource& resource, bool dry_run,
                         const std::function<core::Status(json::value& values)>& edit) {
  auto api = ctx.api();
  if (!api.ok()) return std::move(api).error();
  for (int attempt = 0;; ++attempt) {
    auto current = (*api)->call(ApiCall{"GET", resource.get_path, {}, {}, {}});
    if (!current.ok()) return std::move(current).error();
    json::value values = resource.values_of(current->body);
    if (auto st = edit(values); !st.ok()) return st;
    const auto path = resource.put_path + (dry_run ? "?dry_run=true" : "");
    auto written = (*api)->call(ApiCall{"PUT", path, std::move(values), "application/json", current->etag});
    if (!written.ok()) {
      // 412: someone wrote between our read and our write; read again and redo the edit.
      if (written.error().message.starts_with("412") && attempt < 2) continue;
      return std::move(written).error();
    }
    if (dry_run) {
      print_dry_run(ctx, written->body);
    } else if (ctx.json()) {
      *ctx.out << pretty_json(written->body) << "\n";
    } else {
      *ctx.out << "revision " << field(written->body, "revision") << "\n";
    }
    return {};
  }
}

}  // namespace henge::cli
