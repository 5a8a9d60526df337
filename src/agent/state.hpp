#pragma once
// What the agent must remember across restarts: the revision and hash of the config in
// its output file (sent as Last-Event-ID on reconnect), an acknowledgement the server
// has not confirmed yet, and the last answer given. Kept as JSON in <state-dir>/state.json, written atomically.

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace henge::agent {

struct Ack {
  std::int64_t revision = 0;
  bool applied = false;
  std::string error;   ///< why it was rejected
  bool retry = false;  ///< rejected for now, for a reason that may pass: it is tried again
};

struct AgentState {
  std::int64_t revision = 0;  ///< 0: nothing applied yet
  std::string sha256;
  std::optional<Ack> unsent_ack;  ///< an ack that has not been answered with 2xx yet
  /// The answer last given for a config: when henged sends that config again (it does
  /// until it has recorded an answer), the same answer goes back and nothing runs.
  std::optional<Ack> last_ack;
};

/// Reads <dir>/state.json; an absent file is the empty state. A damaged file is an
/// error: the agent must not silently forget what it applied.
core::Result<AgentState> load_state(const std::string& dir);
core::Status save_state(const std::string& dir, const AgentState& state);

}  // namespace henge::agent
