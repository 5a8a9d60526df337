#pragma once
// Runs an operator's hook (the verify or apply command) through /bin/sh, with extra
// environment variables and a time limit, and keeps the tail of what it printed.

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace henge::agent {

struct CommandOutcome {
  bool success = false;
  bool timed_out = false;    ///< killed at the time limit
  bool interrupted = false;  ///< stopped because `cancel` was set
  std::string status;        ///< "exit 3", "killed by signal 9", "timed out after 60000 ms"
  std::string output;        ///< the last 2 KiB of its stdout and stderr together
};

/// Runs `command` with `/bin/sh -c` in its own process group; `env` is added to the
/// agent's environment, signals are at their defaults, and no descriptor of the agent
/// but the output pipe is inherited. It is done when the shell exits: a daemon it
/// started may keep running (and keep the pipe open) without delaying the answer.
/// Past `timeout`, or once `*cancel` is set, the whole group gets SIGTERM, then SIGKILL
/// a second later. Errors are failures to start it; a command that runs and fails is a
/// CommandOutcome with success false.
core::Result<CommandOutcome> run_command(const std::string& command,
                                         const std::vector<std::pair<std::string, std::string>>& env,
                                         std::chrono::milliseconds timeout, const std::atomic<bool>* cancel = nullptr);

}  // namespace henge::agent
