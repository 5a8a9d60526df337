#include "agent/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace henge::agent {

using core::Errc;
using core::make_error;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kKeptOutput = 2048;
// How often a running command is checked on (its exit, the time limit, a stop).
constexpr std::chrono::milliseconds kTick{20};
constexpr std::chrono::milliseconds kTermGrace{1000};

// The last kKeptOutput bytes a command wrote to its pipe.
class OutputTail {
 public:
  explicit OutputTail(int fd) : fd_(fd) {}

  // Waits up to `wait` for output and reads what came; after end of file, just waits.
  void read_for(std::chrono::milliseconds wait) {
    pollfd pfd{open_ ? fd_ : -1, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(wait.count()));
    if (ready > 0) read_once();
  }
  // Reads what is there without waiting.
  void drain() {
    for (int i = 0; i < 64 && open_; ++i) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0 || !read_once()) break;
    }
  }
  std::string text() {
    if (kept_.size() > kKeptOutput) kept_.erase(0, kept_.size() - kKeptOutput);
    while (!kept_.empty() && (kept_.back() == '\n' || kept_.back() == ' ')) kept_.pop_back();
    return std::move(kept_);
  }

 private:
  bool read_once() {
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
      open_ = false;  // every writer closed
      return false;
    }
    kept_.append(buf, static_cast<std::size_t>(n));
    if (kept_.size() > 2 * kKeptOutput) kept_.erase(0, kept_.size() - kKeptOutput);
    return true;
  }

  int fd_;
  bool open_ = true;
  std::string kept_;
};

// SIGTERM to the command's process group, SIGKILL after a grace period; reaps the
// shell and returns its wait status.
int end_group(pid_t pid) {
  ::kill(-pid, SIGTERM);
  int status = 0;
  const auto until = Clock::now() + kTermGrace;
  while (Clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ::kill(-pid, SIGKILL);  // what it left behind
      return status;
    }
    ::poll(nullptr, 0, static_cast<int>(kTick.count()));
  }
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The agent's environment with `extra` set over it, as posix_spawn wants it.
std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) vars[k] = v;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

std::string describe(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "ended abnormally";
}

}  // namespace

core::Result<CommandOutcome> run_command(const std::string& command,
                                         const std::vector<std::pair<std::string, std::string>>& env,
                                         std::chrono::milliseconds timeout, const std::atomic<bool>* cancel) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return make_error(Errc::unavailable, std::string("cannot make a pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  // Nothing else of the agent's: a daemon a hook starts must not hold the stream's socket.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);  // the agent blocks signals it waits for; hooks must not inherit that
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  auto env_strings = merged_environment(env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  std::string cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return make_error(Errc::unavailable, std::string("cannot start /bin/sh: ") + std::strerror(rc));
  }

  CommandOutcome outcome;
  const auto deadline = Clock::now() + timeout;
  OutputTail tail{pipe_fds[0]};
  int status = 0;
  bool exited = false;
  for (;;) {
    // The shell's exit ends the command: a process it left behind may hold the pipe
    // open for as long as it lives. What the shell wrote before exiting is in the pipe.
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      tail.drain();
      break;
    }
    if (cancel != nullptr && cancel->load()) {
      outcome.interrupted = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    tail.read_for(std::min(left, kTick));
  }
  ::close(pipe_fds[0]);
  if (!exited) status = end_group(pid);
  outcome.output = tail.text();
  if (outcome.timed_out) {
    outcome.status = "timed out after " + std::to_string(timeout.count()) + " ms";
  } else if (outcome.interrupted) {
    outcome.status = "stopped: henge-agent is shutting down";
  } else {
    outcome.success = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    outcome.status = describe(status);
  }
  return outcome;
}

}  // namespace henge::agent
