#include "hook.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

int pi_run_hook(const char* command, long long revision, const char* config_path, char* err, size_t errlen) {
  char rev[64];
  char* path;
  char** env;
  char* argv[4];
  int status = 0;
  int rc;
  pid_t pid;
  /* posix_spawn, not fork: the child runs nothing of ours between fork and exec, which
   * is what a process with libcurl's resolver threads needs. */
  snprintf(rev, sizeof rev, "HENGE_REVISION=%lld", revision);
  path = (char*)malloc(strlen(config_path) + 19);
  if (path == NULL) {
    snprintf(err, errlen, "apply command could not run: out of memory");
    return -1;
  }
  sprintf(path, "HENGE_CONFIG_PATH=%s", config_path);
  env = hook_environment(rev, path);
  if (env == NULL) {
    free(path);
    snprintf(err, errlen, "apply command could not run: out of memory");
    return -1;
  }
  argv[0] = (char*)"sh";
  argv[1] = (char*)"-c";
  argv[2] = (char*)command;
  argv[3] = NULL;
  rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, env);
  free(env);
  free(path);
  if (rc != 0) {
    snprintf(err, errlen, "apply command could not run: %s", strerror(rc));
    return -1;
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
