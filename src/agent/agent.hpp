#pragma once
// The agent's life: hold a stream to henged, apply each config it sends, acknowledge,
// and when the stream ends, wait as the protocol says and connect again.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "agent/applier.hpp"
#include "agent/backoff.hpp"
#include "agent/state.hpp"
#include "client/http_client.hpp"
#include "client/protocol.hpp"

namespace henge::agent {

using Clock = std::chrono::steady_clock;

struct AgentSettings {
  std::string token_file;
  std::string state_dir;
  std::chrono::milliseconds keepalive{
      client::protocol::kDefaultKeepalive};  ///< the server's keepalive; 3 of them unheard is a dead stream
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_config_bytes = 16 << 20;
  std::string version = "henge-agent/0.1.0";
};

class Agent final {
 public:
  Agent(AgentSettings settings, client::HttpClient& http, Applier& applier, Backoff& backoff, AgentState state);

  /// Runs until stop(); returns the process's exit code.
  int run();
  /// Ends run() soon, from any thread: cancels the stream and any wait.
  void stop();

 private:
  enum class Ended { failed, refused, goaway_soon, goaway_long, idle, closed };

  Ended connect_once();
  /// Handles one config event; false when the stream should be dropped (a document
  /// that does not check out: the next connection gets it again).
  bool on_config(const std::string& data);
  void apply(const ConfigDocument& doc);
  /// Rejects the config of event `id` as over the limit (`size` bytes seen).
  void reject_oversized(const std::string& id, std::size_t size);
  /// Work due on a held stream: a kept ack, a config to try again.
  bool on_tick_work();
  void send_ack();
  void send_report();
  core::Result<std::string> read_token();
  std::chrono::milliseconds delay_for(Ended ended, std::chrono::milliseconds lasted);
  void wait(std::chrono::milliseconds delay);
  void persist();

  AgentSettings settings_;
  client::HttpClient& http_;
  Applier& applier_;
  Backoff& backoff_;
  AgentState state_;
  std::string token_;
  std::string goaway_;      // the reason of the last goaway on the current stream
  std::string last_issue_;  // the last logged connection problem, so a repeat is not logged again
  std::chrono::milliseconds retry_{client::protocol::kDefaultRetry};
  /// The Retry-After of the last refusal (429, 503), waited out before the next try
  /// within the backoff cap; zero when none.
  std::chrono::milliseconds retry_after_{0};

  /// A kept ack is sent again at this time (with backoff), on the live stream.
  Clock::time_point ack_due_{};
  Backoff ack_backoff_;
  /// A config rejected for a passing reason, tried again at `due` (with backoff).
  struct Retry {
    ConfigDocument doc;
    Clock::time_point due;
  };
  std::optional<Retry> retry_apply_;
  Backoff apply_backoff_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
};

}  // namespace henge::agent
