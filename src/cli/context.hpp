#pragma once
// What every `henge` command shares: the global flags, the API client they resolve to,
// and the one action the parsed command line chose.

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/api_client.hpp"

namespace henge::cli {

struct Context {
  std::string server;
  std::string token;
  std::string output = "table";
  double timeout_s = 30;
  std::function<core::Status()> action;  ///< set by the chosen subcommand
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;       ///< warnings the server gave with an answer
  std::optional<ApiAnswer> last_write;  ///< the answer of the last write made (not dry-run)

  /// The client for --server/--token, HENGE_SERVER/HENGE_TOKEN, or `henge login`'s
  /// file, in that order; an error says which is missing.
  core::Result<ApiClient*> api();
  [[nodiscard]] bool json() const { return output == "json"; }

  /// Prints each of an answer's `warnings` to `err`, one line each ("henge: warning: …").
  void warn(const boost::json::value& body) const;

  /// One call through api().
  core::Result<ApiAnswer> call(const ApiCall& call);

  /// Every page of a list, items concatenated (the server pages by `limit` and `cursor`).
  core::Result<boost::json::array> list_all(const std::string& path_with_query, std::size_t max_items);

 private:
  std::unique_ptr<ApiClient> api_;
};

/// Sets `context.action` for `app`: what runs when the subcommand is chosen.
void on_run(CLI::App* app, Context& context, std::function<core::Status()> action);

void add_login_command(CLI::App& app, Context& context);
void add_device_commands(CLI::App& app, Context& context);
void add_device_import_command(CLI::App& device, Context& context);  // henge device import
void add_schema_commands(CLI::App& app, Context& context);
void add_group_commands(CLI::App& app, Context& context);
void add_config_commands(CLI::App& app, Context& context);
void add_fleet_commands(CLI::App& app, Context& context);  // audit, watch, status
void add_token_commands(CLI::App& app, Context& context);

/// Reads a JSON document from a file ("-" for stdin).
core::Result<boost::json::value> read_json_file(const std::string& path);
/// Writes a token to a new file readable by its owner only.
core::Status write_secret_file(const std::string& path, const std::string& content);
/// Prints a dry run's answer: each device and the keys its config would change.
void print_dry_run(Context& context, const boost::json::value& body);

/// Prints a list: as JSON with -o json, else a table of `headers` with `row(item)`.
void print_list(Context& context, const boost::json::array& items, std::vector<std::string> headers,
                const std::function<std::vector<std::string>(const boost::json::value&)>& row);

/// Makes a write (with ?dry_run=true when `dry_run`) and prints its outcome: the dry
/// run, the answer as JSON with -o json, or `summary(answer)` for people.
core::Status write_and_report(Context& context, ApiCall call, bool dry_run,
                              const std::function<std::string(const ApiAnswer&)>& summary);

/// The summary of a write that made a revision: "revision N".
std::string revision_summary(const ApiAnswer& answer);

}  // namespace henge::cli
