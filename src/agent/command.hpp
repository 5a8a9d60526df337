#pragma once
// Runs an operator's hook (the verify or apply command) through /bin/sh, with extra
// environment variables and a time limit, and keeps the tail of what it printed.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace henge::agent {

struct CommandOutcome {
  bool success = false;
  std::string status;  ///< "exit 3", "killed by signal 9", "timed out after 60000 ms"
  std::string output;  ///< the last 2 KiB of its stdout and stderr together
};

/// Runs `command` with `/bin/sh -c` in its own process group; `env` is added to the
/// agent's environment. Past `timeout` the whole group is killed. Errors are failures
/// to start it; a command that runs and fails is a CommandOutcome with success false.
core::Result<CommandOutcome> run_command(const std::string& command,
                                         const std::vector<std::pair<std::string, std::string>>& env,
                                         std::chrono::milliseconds timeout);

}  // namespace henge::agent
