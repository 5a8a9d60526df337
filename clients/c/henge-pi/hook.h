/* Runs the operator's verify or apply command through /bin/sh with HENGE_REVISION and
 * HENGE_CONFIG_PATH in its environment: in its own process group, signals at their
 * defaults, stdin from /dev/null, stdout and stderr captured (the last part kept for
 * the ack), within a time limit. */
#ifndef HENGE_PI_HOOK_H
#define HENGE_PI_HOOK_H

#include <signal.h>
#include <stddef.h>

typedef enum pi_hook_result {
  PI_HOOK_OK = 0,    /* it exited 0 */
  PI_HOOK_FAILED,    /* it ran and failed: a verdict on the config */
  PI_HOOK_TRANSIENT, /* it could not run, or ran out of time: may pass */
  PI_HOOK_STOPPED    /* *stop was set; it was ended */
} pi_hook_result;

/* `which` names it in messages ("apply", "verify"). The command is done when the shell
 * exits, even if a process it started keeps running. Past timeout_ms, or once *stop is
 * set, its process group gets SIGTERM, then SIGKILL a second later. On anything but
 * PI_HOOK_OK, err says why: "apply command failed: exit 3: <its output>". */
pi_hook_result pi_run_hook(const char* which, const char* command, long long revision, const char* config_path,
                           unsigned long timeout_ms, const volatile sig_atomic_t* stop, char* err, size_t errlen);

#endif
