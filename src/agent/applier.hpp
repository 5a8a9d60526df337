#pragma once
// Applies one config document to the device, as the protocol's "Applying atomically"
// says: stage the file beside the output, verify it (hash, then the verify command),
// rename it into place, run the apply command. The answer is the ack to send.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "agent/config_document.hpp"
#include "agent/state.hpp"
#include "files/atomic_file.hpp"

namespace henge::agent {

struct ApplierSettings {
  std::string output;      ///< the config file the device's software reads
  std::string verify_cmd;  ///< run on the staged file; non-zero exit rejects the config
  std::string apply_cmd;   ///< run after the rename, to make the software take it up
  std::chrono::milliseconds command_timeout{60000};
};

struct ApplyReport {
  Ack ack;
  bool committed = false;  ///< the output file now holds this revision
  /// Rejected for a reason of the device's that may pass (a write that failed, a
  /// command that could not start or timed out), not a verdict on the config: the
  /// agent tries again later.
  bool transient = false;
  bool interrupted = false;          ///< the agent is stopping: nothing to ack, all to redo
  std::vector<std::string> changed;  ///< JSON pointers that differ from the previous file
};

class Applier final {
 public:
  Applier(ApplierSettings settings, files::FaultProbe probe)
      : settings_(std::move(settings)), probe_(std::move(probe)) {}

  /// Applies `doc`; never throws. A rejection leaves the output file as it was. Once
  /// `*cancel` is set, a running command is stopped and the report is `interrupted`.
  ApplyReport apply(const ConfigDocument& doc, const std::atomic<bool>* cancel = nullptr);

  [[nodiscard]] const ApplierSettings& settings() const { return settings_; }

 private:
  ApplierSettings settings_;
  files::FaultProbe probe_;
};

}  // namespace henge::agent
