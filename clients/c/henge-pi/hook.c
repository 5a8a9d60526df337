#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEPT_OUTPUT 1024 /* of the command's output, the end is what explains a failure */
#define TICK_MS 20
#define TERM_GRACE_MS 1000

extern char** environ;

/* environ without HENGE_REVISION and HENGE_CONFIG_PATH, plus the two given; NULL when
 * out of memory. Only the array is allocated: the strings are environ's and the caller's. */
static char** hook_environment(char* revision, char* config_path) {
  size_t n = 0, i, j = 0;
  char** env;
  while (environ[n] != NULL) ++n;
  env = (char**)malloc((n + 3) * sizeof *env);
  if (env == NULL) return NULL;
  for (i = 0; i < n; ++i) {
    if (strncmp(environ[i], "HENGE_REVISION=", 15) != 0 && strncmp(environ[i], "HENGE_CONFIG_PATH=", 18) != 0) {
      env[j++] = environ[i];
    }
  }
  env[j++] = revision;
  env[j++] = config_path;
  env[j] = NULL;
  return env;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The last KEPT_OUTPUT bytes the command wrote. */
typedef struct tail {
  char data[2 * KEPT_OUTPUT];
  size_t len;
  int open; /* the pipe has not reached end of file */
} tail;

static int read_some(tail* t, int fd) {
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  size_t got, keep;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) {
    t->open = 0;
    return 0;
  }
  got = (size_t)n;
  if (got >= KEPT_OUTPUT) { /* only the end of this read can be kept */
    memcpy(t->data, buf + got - KEPT_OUTPUT, KEPT_OUTPUT);
    t->len = KEPT_OUTPUT;
    return 1;
  }
  if (t->len + got > sizeof t->data) { /* make room: keep the last KEPT_OUTPUT - got */
    keep = KEPT_OUTPUT - got;
    memmove(t->data, t->data + t->len - keep, keep);
    t->len = keep;
  }
  memcpy(t->data + t->len, buf, got);
  t->len += got;
  return 1;
}

/* Waits up to ms for output and reads it; at end of file, just waits. */
static void read_for(tail* t, int fd, int ms) {
  struct pollfd p;
  p.fd = t->open ? fd : -1;
  p.events = POLLIN;
  p.revents = 0;
  if (poll(&p, 1, ms) > 0) (void)read_some(t, fd);
}

/* Reads what is there without waiting (what the shell wrote before it exited). */
static void drain(tail* t, int fd) {
  int i;
  for (i = 0; i < 64 && t->open; ++i) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 0) <= 0 || !read_some(t, fd)) break;
  }
}

/* SIGTERM to the group, SIGKILL after a grace period; reaps the shell. */
static int end_group(pid_t pid) {
  int status = 0;
  const double until = now_ms() + TERM_GRACE_MS;
  kill(-pid, SIGTERM);
  while (now_ms() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      kill(-pid, SIGKILL); /* what it left behind */
      return status;
    }
    poll(NULL, 0, TICK_MS);
  }
  kill(-pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/* "<which> command failed: <what>[: <output>]" into err. */
static void describe(char* err, size_t errlen, const char* which, const char* what, tail* t) {
  size_t start = t->len > KEPT_OUTPUT ? t->len - KEPT_OUTPUT : 0;
  while (t->len > start && (t->data[t->len - 1] == '\n' || t->data[t->len - 1] == ' ')) --t->len;
  if (t->len > start) {
    snprintf(err, errlen, "%s command failed: %s: %.*s", which, what, (int)(t->len - start), t->data + start);
  } else {
    snprintf(err, errlen, "%s command failed: %s", which, what);
  }
}

static int spawn_hook(const char* command, char** env, int out_fd, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t defaults, none;
  char* argv[4];
  int rc;
  argv[0] = (char*)"sh";
  argv[1] = (char*)"-c";
  argv[2] = (char*)command;
  argv[3] = NULL;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawnattr_init(&attr);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE); /* henge-pi ignores it; a shell pipeline must not */
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  /* posix_spawn, not fork: the child runs nothing of ours between fork and exec, which
   * is what a process with libcurl's resolver threads needs. */
  rc = posix_spawn(pid, "/bin/sh", &actions, &attr, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

pi_hook_result pi_run_hook(const char* which, const char* command, long long revision, const char* config_path,
                           unsigned long timeout_ms, const volatile sig_atomic_t* stop, char* err, size_t errlen) {
  char rev[64];
  char* path;
  char** env;
  int fds[2];
  int status = 0, rc, exited = 0;
  pid_t pid;
  tail t;
  double deadline;
  pi_hook_result result;
  snprintf(rev, sizeof rev, "HENGE_REVISION=%lld", revision);
  path = (char*)malloc(strlen(config_path) + 19);
  env = NULL;
  if (path != NULL) {
    sprintf(path, "HENGE_CONFIG_PATH=%s", config_path);
    env = hook_environment(rev, path);
  }
  if (env == NULL || pipe(fds) != 0) {
    snprintf(err, errlen, "%s command could not run: %s", which, env == NULL ? "out of memory" : strerror(errno));
    free(env);
    free(path);
    return PI_HOOK_TRANSIENT;
  }
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC); /* dup2 onto 1 and 2 clears it there */
  rc = spawn_hook(command, env, fds[1], &pid);
  free(env);
  free(path);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    snprintf(err, errlen, "%s command could not run: %s", which, strerror(rc));
    return PI_HOOK_TRANSIENT;
  }
  t.len = 0;
  t.open = 1;
  deadline = now_ms() + (double)timeout_ms;
  result = PI_HOOK_OK;
  for (;;) {
    double left;
    /* The shell's exit ends the command: a daemon it started may hold the pipe open. */
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = 1;
      drain(&t, fds[0]);
      break;
    }
    if (stop != NULL && *stop) {
      result = PI_HOOK_STOPPED;
      break;
    }
    left = deadline - now_ms();
    if (left <= 0) {
      result = PI_HOOK_TRANSIENT;
      break;
    }
    read_for(&t, fds[0], left < TICK_MS ? (int)left + 1 : TICK_MS);
  }
  close(fds[0]);
  if (!exited) status = end_group(pid);
  if (result == PI_HOOK_STOPPED) {
    snprintf(err, errlen, "%s command stopped: henge-pi is shutting down", which);
    return result;
  }
  if (result == PI_HOOK_TRANSIENT) {
    char what[64];
    snprintf(what, sizeof what, "timed out after %lu ms", timeout_ms);
    describe(err, errlen, which, what, &t);
    return result;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return PI_HOOK_OK;
  {
    char what[64];
    if (WIFEXITED(status)) {
      snprintf(what, sizeof what, "exit %d", WEXITSTATUS(status));
    } else {
      snprintf(what, sizeof what, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    describe(err, errlen, which, what, &t);
  }
  return PI_HOOK_FAILED;
}
