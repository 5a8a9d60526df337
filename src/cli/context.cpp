#include "cli/context.hpp"

#include <boost/json.hpp>
#include <iterator>
#include <sstream>

#include "cli/credentials.hpp"
#include "cli/output.hpp"
#include "core/json_diff.hpp"
#include "core/json_pointer.hpp"
#include "files/atomic_file.hpp"

namespace henge::cli {

namespace json = boost::json;
using core::Errc;
using core::make_error;

core::Result<ApiClient*> Context::api() {
  if (api_) return api_.get();
  if (server.empty() || token.empty()) {
    auto saved = load_credentials();
    if (!saved.ok()) return std::move(saved).error();
    if (server.empty()) server = saved->server;
    if (token.empty()) token = saved->token;
  }
  if (server.empty()) {
    return make_error(Errc::invalid, "no server: give --server, set HENGE_SERVER, or run henge login");
  }
  if (token.empty()) return make_error(Errc::invalid, "no token: give --token, set HENGE_TOKEN, or run henge login");
  auto url = client::parse_url(server);
  if (!url.ok()) return std::move(url).error();
  api_ = std::make_unique<ApiClient>(std::move(*url), token,
                                     std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000)));
  return api_.get();
}

core::Result<ApiAnswer> Context::call(const ApiCall& call) {
  auto client = api();
  if (!client.ok()) return std::move(client).error();
  return (*client)->call(call);
}

core::Result<json::array> Context::list_all(const std::string& path_with_query, std::size_t max_items) {
  json::array items;
  std::string cursor;
  const char sep = path_with_query.find('?') == std::string::npos ? '?' : '&';
  do {
    std::string path = path_with_query + sep + "limit=" + std::to_string(std::min<std::size_t>(max_items, 500));
    if (!cursor.empty()) path += "&cursor=" + url_encode(cursor);
    auto page = call(ApiCall{"GET", path, {}, {}, {}});
    if (!page.ok()) return std::move(page).error();
    const auto* obj = page->body.if_object();
    const auto* page_items = obj != nullptr ? obj->if_contains("items") : nullptr;
    if (page_items == nullptr || !page_items->is_array()) return make_error(Errc::internal, "unexpected list answer");
    for (const auto& item : page_items->as_array()) {
      if (items.size() == max_items) return items;
      items.push_back(item);
    }
    const auto* next = obj->if_contains("next_cursor");
    cursor = next != nullptr && next->is_string() ? std::string(next->as_string()) : "";
  } while (!cursor.empty());
  return items;
}

void on_run(CLI::App* app, Context& context, std::function<core::Status()> action) {
  app->callback([&context, action = std::move(action)] { context.action = action; });
}

core::Result<json::value> read_json_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto file = files::read_file(path, 16 << 20);
    if (!file.ok()) return std::move(file).error();
    text = std::move(*file);
  }
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) return make_error(Errc::invalid, (path == "-" ? "stdin" : path) + " is not JSON: " + ec.message());
  return value;
}

core::Status write_secret_file(const std::string& path, const std::string& content) {
  return files::write_file_atomically(path, content, 0600);
}

void print_dry_run(Context& context, const json::value& body) {
  if (context.json()) {
    *context.out << pretty_json(body) << "\n";
    return;
  }
  const auto* devices = body.is_object() ? body.as_object().if_contains("devices") : nullptr;
  if (devices == nullptr || !devices->is_array() || devices->as_array().empty()) {
    *context.out << "dry run: no device would change\n";
    return;
  }
  *context.out << "dry run: nothing was changed\n";
  for (const auto& d : devices->as_array()) {
    const auto& item = d.as_object();
    const auto& before = item.at("before");
    const auto& after = item.at("after");
    const auto paths = core::changed_paths(before.is_null() ? json::value(json::object{}) : before, after);
    *context.out << field(d, "device") << (paths.empty() ? ": no change" : ":") << "\n";
    for (const auto& path : paths) {
      const auto pointer = core::JsonPointer::parse(path);
      const json::value* old_value = pointer.ok() ? core::find(before, *pointer) : nullptr;
      const json::value* new_value = pointer.ok() ? core::find(after, *pointer) : nullptr;
      *context.out << "  " << (path.empty() ? "/" : path) << ": "
                   << (old_value ? json::serialize(*old_value) : "(unset)") << " -> "
                   << (new_value ? json::serialize(*new_value) : "(unset)") << "\n";
    }
  }
}

}  // namespace henge::cli

namespace henge::cli {

core::Status write_and_report(Context& context, ApiCall call, bool dry_run,
                              const std::function<std::string(const ApiAnswer&)>& summary) {
  if (dry_run) call.path += (call.path.find('?') == std::string::npos ? "?" : "&") + std::string("dry_run=true");
  auto answer = context.call(call);
  if (!answer.ok()) return std::move(answer).error();
  if (!dry_run) context.last_write = *answer;
  if (dry_run) {
    print_dry_run(context, answer->body);
  } else if (context.json()) {
    *context.out << pretty_json(answer->body) << "\n";
  } else {
    *context.out << summary(*answer) << "\n";
  }
  return {};
}

void print_list(Context& context, const json::array& items, std::vector<std::string> headers,
                const std::function<std::vector<std::string>(const json::value&)>& row) {
  if (context.json()) {
    *context.out << pretty_json(items) << "\n";
    return;
  }
  Table table(std::move(headers));
  for (const auto& item : items) table.add(row(item));
  table.print(*context.out);
}

std::string revision_summary(const ApiAnswer& answer) {
  return "revision " + field(answer.body, "revision");
}

void Context::warn(const json::value& body) const {
  const auto* o = body.if_object();
  const auto* list = o != nullptr ? o->if_contains("warnings") : nullptr;
  if (list == nullptr || !list->is_array()) return;
  for (const auto& w : list->get_array()) {
    if (w.is_string()) *err << "henge: warning: " << w.get_string().c_str() << "\n";
  }
}

}  // namespace henge::cli
