/* Runs the operator's apply command through /bin/sh with HENGE_REVISION and
 * HENGE_CONFIG_PATH in its environment. */
#ifndef HENGE_PI_HOOK_H
#define HENGE_PI_HOOK_H

#include <stddef.h>

/* 0 when it exits 0; else -1 with "apply command failed: exit N" (or why it could not
 * run) in err. */
int pi_run_hook(const char* command, long long revision, const char* config_path, char* err, size_t errlen);

#endif
