#include "cli/edit_values.hpp"

#include <boost/json.hpp>

#include "core/json_pointer.hpp"

namespace henge::cli {

namespace json = boost::json;

core::Status edit_values(Context& ctx, const ValuesResource& resource, bool dry_run,
                         const std::function<core::Status(json::value& values)>& edit) {
  for (int attempt = 0;; ++attempt) {
    auto current = ctx.call(ApiCall{"GET", resource.get_path, {}, {}, {}});
    if (!current.ok()) return std::move(current).error();
    json::value values = resource.values_of(current->body);
    if (auto st = edit(values); !st.ok()) return st;
    auto written =
        write_and_report(ctx, ApiCall{"PUT", resource.put_path, std::move(values), "application/json", current->etag},
                         dry_run, revision_summary);
    // 412: someone wrote between our read and our write; read again and redo the edit.
    if (!written.ok() && written.error().code == core::Errc::precondition_failed && attempt < 2) continue;
    return written;
  }
}

core::Status set_keys(Context& ctx, const ValuesResource& resource, const std::vector<std::string>& args,
                      bool dry_run) {
  // Every argument is checked before anything is read or written.
  std::vector<std::pair<core::JsonPointer, json::value>> changes;
  for (const auto& arg : args) {
    auto assignment = parse_assignment(arg);
    if (!assignment.ok()) return std::move(assignment).error();
    changes.emplace_back(*core::JsonPointer::parse(assignment->pointer), std::move(assignment->value));
  }
  return edit_values(ctx, resource, dry_run, [&changes](json::value& values) -> core::Status {
    for (const auto& [pointer, value] : changes) HENGE_TRY(core::set_at(values, pointer, value));
    return {};
  });
}

core::Status unset_key(Context& ctx, const ValuesResource& resource, const std::string& key, bool dry_run) {
  auto pointer = key_to_pointer(key);
  if (!pointer.ok()) return std::move(pointer).error();
  const auto parsed = *core::JsonPointer::parse(*pointer);
  return edit_values(ctx, resource, dry_run,
                     [&parsed](json::value& values) { return core::remove_at(values, parsed); });
}

}  // namespace henge::cli
