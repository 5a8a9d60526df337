#include "hook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int pi_run_hook(const char* command, long long revision, const char* config_path, char* err, size_t errlen) {
  char rev[32];
  int status = 0;
  pid_t pid;
  snprintf(rev, sizeof rev, "%lld", revision);
  pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "apply command could not run: %s", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    setenv("HENGE_REVISION", rev, 1);
    setenv("HENGE_CONFIG_PATH", config_path, 1);
    execl("/bin/sh", "sh", "-c", command, (char*)NULL);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      snprintf(err, errlen, "apply command: %s", strerror(errno));
      return -1;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status)) {
    snprintf(err, errlen, "apply command failed: exit %d", WEXITSTATUS(status));
  } else {
    snprintf(err, errlen, "apply command failed: killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  return -1;
}
