#include "agent/agent.hpp"

#include <sys/sysinfo.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>

#include "client/protocol.hpp"
#include "client/sse_parser.hpp"
#include "core/json_policy.hpp"
#include "log/log.hpp"

namespace henge::agent {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kCallTimeout{10000};

std::string seconds_text(milliseconds ms) {
  const auto tenths = (ms.count() + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// The `detail` of a problem+json answer, or its status when it has none.
std::string problem_detail(const client::HttpResponse& r) {
  boost::system::error_code ec;
  const auto doc = core::parse_answer(r.body, ec);
  if (!ec && doc.is_object()) {
    if (const auto* d = doc.as_object().if_contains("detail"); d != nullptr && d->is_string()) {
      return std::string(d->as_string());
    }
  }
  return "HTTP " + std::to_string(r.status);
}

// An ack's error as henged takes it: valid UTF-8 (a 400 would drop the ack for good),
// within the protocol's limit.
std::string ack_text(std::string_view error) {
  return std::string(core::utf8_prefix(core::utf8_lossy(error), client::protocol::kMaxAckError));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

// Retry-After in seconds (the only form henged sends); zero when absent or not a number.
milliseconds retry_after_of(const client::HttpResponse& head) {
  const auto value = head.header("Retry-After");
  unsigned long seconds = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) return milliseconds(0);
  return milliseconds(std::min<unsigned long>(seconds, 86400) * 1000);
}

}  // namespace

Agent::Agent(AgentSettings settings, client::HttpClient& http, Applier& applier, Backoff& backoff, AgentState state)
    : settings_(std::move(settings)),
      http_(http),
      applier_(applier),
      backoff_(backoff),
      state_(std::move(state)),
      ack_backoff_(backoff.policy(), reinterpret_cast<std::uintptr_t>(this)),
      apply_backoff_(backoff.policy(), reinterpret_cast<std::uintptr_t>(this) >> 4) {}

void Agent::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  http_.cancel();
}

void Agent::wait(milliseconds delay) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void Agent::persist() {
  if (auto st = save_state(settings_.state_dir, state_); !st.ok()) {
    log::error("cannot save the agent's state", {{"error", st.error().message}});
  }
}

core::Result<std::string> Agent::read_token() {
  auto text = files::read_file(settings_.token_file, 4096);
  if (!text.ok()) return core::make_error(text.error().code, "cannot read the token file: " + text.error().message);
  // The first line is the token; what follows (a comment, a second token) is not sent.
  std::string token = text->substr(0, text->find_first_of("\r\n"));
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.empty())
    return core::make_error(core::Errc::invalid, "the token file " + settings_.token_file + " is empty");
  return token;
}

int Agent::run() {
  // A crash mid-write leaves staged files; they are never anything but garbage.
  files::remove_stale_temporaries(applier_.settings().output);
  files::remove_stale_temporaries(settings_.state_dir + "/state.json");
  log::info("agent starting", {{"server", http_.server().scheme + "://" + http_.server().host_header()},
                               {"output", applier_.settings().output},
                               {"applied_revision", state_.revision}});
  while (!stopping_) {
    const auto started = Clock::now();
    const Ended ended = connect_once();
    if (stopping_) break;
    const auto lasted = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    const auto delay = delay_for(ended, lasted);
    log::debug("reconnecting", {{"in", seconds_text(delay)}, {"failures", backoff_.failures()}});
    wait(delay);
  }
  log::info("agent stopped");
  return 0;
}

milliseconds Agent::delay_for(Ended ended, milliseconds lasted) {
  switch (ended) {
    case Ended::refused:
    case Ended::goaway_long:
      return backoff_.policy().cap;  // only an operator can fix this; do not hammer the server
    case Ended::goaway_soon:
      backoff_.connection_ended(lasted);
      // The server's hint spreads a fleet's reconnects; the operator's cap still bounds
      // how long the device goes without a stream.
      return backoff_.random_up_to(std::min(retry_, backoff_.policy().cap));
    case Ended::idle:
    case Ended::closed:
      backoff_.connection_ended(lasted);
      return backoff_.after_failure();
    case Ended::failed: {
      // The server's Retry-After (rate limited, or unavailable) is a floor, within the cap.
      const auto wait = std::max(backoff_.after_failure(), std::min(retry_after_, backoff_.policy().cap));
      retry_after_ = milliseconds(0);
      return wait;
    }
  }
  return backoff_.after_failure();
}

Agent::Ended Agent::connect_once() {
  auto token = read_token();
  if (!token.ok()) {
    if (last_issue_ != token.error().message) log::error(token.error().message);
    last_issue_ = token.error().message;
    return Ended::refused;
  }
  token_ = *token;
  client::HttpRequest request;
  request.path = "/v1/device/stream";
  request.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "text/event-stream"}};
  if (state_.revision > 0) request.headers.push_back({"Last-Event-ID", std::to_string(state_.revision)});

  // The limit is the config's; its document and event framing add a little.
  client::SseParser parser(settings_.max_config_bytes + client::protocol::kEventOverhead);
  std::vector<client::SseEvent> events;
  goaway_.clear();
  bool broken = false;
  const auto on_head = [this](const client::HttpResponse&) {
    log::info("stream connected", {{"last_event_id", state_.revision}});
    last_issue_.clear();
    if (state_.unsent_ack) send_ack();
    send_report();
  };
  const std::function<bool()> on_tick = [this] { return on_tick_work(); };
  const auto on_data = [&](std::string_view bytes) {
    parser.feed(bytes, events);
    if (parser.retry_ms()) retry_ = milliseconds(*parser.retry_ms());
    for (auto& event : events) {
      if (event.type == "config" && event.oversized > 0) {
        reject_oversized(event.id, event.oversized);
      } else if (event.type == "config") {
        if (!on_config(event.data)) {
          broken = true;
          events.clear();
          return false;
        }
      } else if (event.type == "goaway") {
        boost::system::error_code ec;
        const auto doc = core::parse_answer(event.data, ec);
        const auto* reason = !ec && doc.is_object() ? doc.as_object().if_contains("reason") : nullptr;
        goaway_ = reason != nullptr && reason->is_string() ? std::string(reason->as_string()) : "unknown";
      }
    }
    events.clear();
    return !stopping_.load();
  };
  auto outcome = http_.stream(request, settings_.connect_timeout,
                              settings_.keepalive * client::protocol::kKeepaliveMultiple, on_head, on_data, on_tick);
  if (stopping_) return Ended::closed;

  if (!outcome.ok()) {
    const auto issue = "cannot reach the server: " + outcome.error().message;
    if (issue != last_issue_) log::warn(issue);
    last_issue_ = issue;
    return Ended::failed;
  }
  const auto status = outcome->head.status;
  if (status == 401 || status == 403) {
    const auto issue = "the server refused the device token (" + std::to_string(status) + ": " +
                       problem_detail(outcome->head) + "); retrying every " + seconds_text(backoff_.policy().cap) +
                       " until an operator fixes " + settings_.token_file;
    if (issue != last_issue_) log::error(issue);
    last_issue_ = issue;
    return Ended::refused;
  }
  if (status / 100 != 2) {
    if (status == 429 || status == 503) retry_after_ = retry_after_of(outcome->head);
    const auto issue =
        "the server answered the stream with " + std::to_string(status) + ": " + problem_detail(outcome->head);
    if (issue != last_issue_) log::warn(issue);
    last_issue_ = issue;
    return Ended::failed;
  }
  if (broken) return Ended::closed;  // logged where it was found
  if (!goaway_.empty()) {
    if (goaway_ == client::protocol::kReplaced) {
      log::error("another client took this device's stream (goaway replaced): is a second agent using this token?");
      return Ended::goaway_long;
    }
    if (goaway_ == client::protocol::kDeleted || goaway_ == client::protocol::kTokenRotated) {
      log::error("the server ended the stream: the device's token is no longer valid", {{"reason", goaway_}});
      return Ended::goaway_long;
    }
    log::info("the server asked the agent to reconnect", {{"reason", goaway_}});
    return Ended::goaway_soon;
  }
  if (outcome->end == client::StreamEnd::idle_timeout) {
    log::warn("no data from the server for 3 keepalive intervals; reconnecting",
              {{"silence", seconds_text(settings_.keepalive * client::protocol::kKeepaliveMultiple)}});
    return Ended::idle;
  }
  log::warn("the stream ended; reconnecting");
  return Ended::closed;
}

bool Agent::on_config(const std::string& data) {
  auto doc = parse_config_document(data);
  if (!doc.ok()) {
    // Nothing in it can be trusted, its revision included: drop the stream, and the
    // next connection gets the config again (henged resends what was not answered).
    log::error("received a config document that does not check out; asking for it again",
               {{"error", doc.error().message}});
    return false;
  }
  if (doc->config_bytes.size() > settings_.max_config_bytes) {
    reject_oversized(std::to_string(doc->revision), doc->config_bytes.size());
    return true;
  }
  const bool in_place = doc->revision == state_.revision && doc->sha256 == state_.sha256;
  const auto& last = state_.last_ack;
  const bool last_is_this = last && last->revision == doc->revision;
  const bool retry_pending = retry_apply_ && retry_apply_->doc.revision == doc->revision;
  // henged sends a config again until it has recorded an answer: the answer given
  // goes back and nothing runs, unless that answer was "rejected for now" and its
  // retry is due (or was lost with a restart).
  const bool answered = last_is_this && !last->retry;
  const bool waiting = retry_pending && Clock::now() < retry_apply_->due;
  if (answered || waiting || (in_place && !last_is_this)) {
    log::info("config already answered; acknowledging it again", {{"revision", doc->revision}});
    // A state file from before last_ack was kept may still hold this revision's ack.
    const bool kept = state_.unsent_ack && state_.unsent_ack->revision == doc->revision;
    state_.unsent_ack = last_is_this ? *last : kept ? *state_.unsent_ack : Ack{doc->revision, true, {}, false};
    ack_backoff_.reset();
    persist();
    send_ack();
    return true;
  }
  apply(*doc);
  return true;
}

void Agent::apply(const ConfigDocument& doc) {
  auto report = applier_.apply(doc, &stopping_);
  if (report.interrupted) {
    // Not applied, not acknowledged, not remembered: the next start applies it again.
    log::warn("stopped while applying; the config is applied again at the next start", {{"revision", doc.revision}});
    return;
  }
  // A passing failure after the rename leaves the revision unremembered: after a
  // restart henged resends it (Last-Event-ID is older) and it is tried again.
  if (report.committed && !report.transient) {
    state_.revision = doc.revision;
    state_.sha256 = doc.sha256;
  }
  if (report.transient) {
    const auto delay = apply_backoff_.after_failure();
    retry_apply_ = Retry{doc, Clock::now() + delay};
    log::error("rejected for now; trying again",
               {{"revision", doc.revision}, {"error", report.ack.error}, {"in", seconds_text(delay)}});
  } else {
    retry_apply_.reset();
    apply_backoff_.reset();
    if (report.ack.applied) {
      log::info("applied", {{"revision", doc.revision}, {"sha256", doc.sha256}, {"changed", join(report.changed)}});
    } else {
      log::error("rejected", {{"revision", doc.revision}, {"error", report.ack.error}});
    }
  }
  report.ack.retry = report.transient;
  // A command's output is any bytes, cut anywhere: kept as valid UTF-8, the state file
  // stays readable and henged takes the ack.
  report.ack.error = ack_text(report.ack.error);
  state_.unsent_ack = report.ack;
  state_.last_ack = report.ack;
  ack_backoff_.reset();
  persist();
  send_ack();
}

void Agent::reject_oversized(const std::string& id, std::size_t size) {
  // An event over the limit was not kept, so it cannot be checked; its id names the
  // revision. The answer is a rejection the operator can act on, not a reconnect loop.
  std::int64_t revision = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), revision);
  const auto error = "the config is over this device's limit of " + std::to_string(settings_.max_config_bytes) +
                     " bytes (--max-config-bytes)";
  log::error("rejected", {{"revision", id}, {"error", error}, {"size_bytes", size}});
  if (ec != std::errc{} || end != id.data() + id.size() || revision <= 0) return;
  retry_apply_.reset();
  // "For now": a raised limit lets the same revision apply when henged resends it.
  state_.unsent_ack = Ack{revision, false, error, true};
  state_.last_ack = state_.unsent_ack;
  ack_backoff_.reset();
  persist();
  send_ack();
}

bool Agent::on_tick_work() {
  const auto now = Clock::now();
  if (state_.unsent_ack && now >= ack_due_) send_ack();
  if (retry_apply_ && now >= retry_apply_->due && !stopping_) {
    const auto doc = retry_apply_->doc;  // apply() replaces or clears retry_apply_
    apply(doc);
  }
  return !stopping_.load();
}

void Agent::send_ack() {
  const Ack ack = *state_.unsent_ack;
  json::object body{{"revision", ack.revision}, {"status", ack.applied ? "applied" : "rejected"}};
  if (!ack.applied) body["error"] = ack_text(ack.error);
  client::HttpRequest request;
  request.method = "POST";
  request.path = "/v1/device/ack";
  request.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  request.body = json::serialize(body);
  auto answer = http_.request(request, kCallTimeout);
  const bool never = answer.ok() && (answer->status == 400 || answer->status == 409);  // sending it again cannot help
  if (!answer.ok() || (answer->status / 100 != 2 && !never)) {
    // Kept, and sent again on this stream after a backoff (at least the server's
    // Retry-After), or at once on the next connection.
    auto delay = ack_backoff_.after_failure();
    if (answer.ok() && (answer->status == 429 || answer->status == 503)) {
      delay = std::max(delay, std::min(retry_after_of(*answer), ack_backoff_.policy().cap));
    }
    ack_due_ = Clock::now() + delay;
    log::warn("cannot send the ack; it is kept and sent again",
              {{"revision", ack.revision},
               {"error", answer.ok() ? problem_detail(*answer) : answer.error().message},
               {"in", seconds_text(delay)}});
    return;
  }
  if (never) {
    log::warn("the server refused the ack", {{"revision", ack.revision}, {"detail", problem_detail(*answer)}});
  }
  ack_backoff_.reset();
  state_.unsent_ack.reset();
  persist();
}

void Agent::send_report() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  struct sysinfo info {};
  ::sysinfo(&info);
  json::object reported{{"agent", settings_.version}, {"hostname", host}, {"uptime_s", info.uptime}};
  client::HttpRequest request;
  request.method = "POST";
  request.path = "/v1/device/report";
  request.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  request.body = json::serialize(json::object{{"reported", std::move(reported)}});
  auto answer = http_.request(request, kCallTimeout);
  if (!answer.ok() || answer->status / 100 != 2) {
    log::warn("cannot send the device report",
              {{"error", answer.ok() ? problem_detail(*answer) : answer.error().message}});
  }
}

}  // namespace henge::agent
