#include "agent/applier.hpp"

#include <boost/json.hpp>

#include "agent/command.hpp"
#include "core/json_diff.hpp"

namespace henge::agent {

namespace {

// What the output file held before, for the list of changed keys; an absent or
// unreadable file counts as an empty config.
boost::json::value previous_config(const std::string& path, std::size_t limit) {
  auto text = files::read_file(path, limit);
  if (!text.ok()) return boost::json::object{};
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec);
  return ec ? boost::json::value(boost::json::object{}) : value;
}

std::string hook_failure(std::string_view which, const core::Result<CommandOutcome>& run) {
  if (!run.ok()) return std::string(which) + " command could not run: " + run.error().message;
  std::string out = std::string(which) + " command failed: " + run->status;
  if (!run->output.empty()) out += ": " + run->output;
  return out;
}

}  // namespace

ApplyReport Applier::apply(const ConfigDocument& doc, const std::atomic<bool>* cancel) {
  ApplyReport report;
  report.ack.revision = doc.revision;
  const auto rejected = [&report](std::string why, bool transient) {
    report.ack.applied = false;
    report.ack.error = std::move(why);
    report.transient = transient;
    return report;
  };
  // A command's verdict (it ran and failed) is final; not being able to run it, or
  // running out of time, may pass.
  const auto command_failed = [&](std::string_view which, const core::Result<CommandOutcome>& run) {
    if (run.ok() && run->interrupted) {
      report.interrupted = true;
      return report;
    }
    return rejected(hook_failure(which, run), !run.ok() || run->timed_out);
  };
  const auto revision = std::to_string(doc.revision);

  const auto before = previous_config(settings_.output, doc.config_bytes.size() * 4 + (1 << 20));
  const files::FaultProbe* probe = probe_ ? &probe_ : nullptr;
  auto staged = files::stage_file(settings_.output, doc.config_bytes, probe);
  if (!staged.ok()) return rejected("cannot write the config: " + staged.error().message, true);

  if (!settings_.verify_cmd.empty()) {
    auto run = run_command(settings_.verify_cmd, {{"HENGE_REVISION", revision}, {"HENGE_CONFIG_PATH", staged->path()}},
                           settings_.command_timeout, cancel);
    if (!run.ok() || !run->success) return command_failed("verify", run);
  }
  if (auto st = staged->commit(); !st.ok()) {
    return rejected("cannot put the config in place: " + st.error().message, true);
  }
  report.committed = true;
  report.changed = core::changed_paths(before, doc.config);

  if (!settings_.apply_cmd.empty()) {
    auto run = run_command(settings_.apply_cmd, {{"HENGE_REVISION", revision}, {"HENGE_CONFIG_PATH", settings_.output}},
                           settings_.command_timeout, cancel);
    if (!run.ok() || !run->success) return command_failed("apply", run);
  }
  report.ack.applied = true;
  return report;
}

}  // namespace henge::agent
