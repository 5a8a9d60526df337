/* Replacing a file so that it always holds the old or the new content, never part of
 * either: a temporary file beside it, fsync, read back, rename, fsync the directory. */
#ifndef HENGE_PI_ATOMIC_FILE_H
#define HENGE_PI_ATOMIC_FILE_H

#include <stddef.h>

/* Returns 0, or -1 with a message in err. The file gets mode (e.g. 0644). */
int pi_write_atomically(const char* path, const char* bytes, size_t len, unsigned mode, char* err, size_t errlen);

/* The two halves, for a verify command in between: the bytes written, synced and read
 * back in a temporary file beside path, whose name goes to temp (tempsize bytes)... */
int pi_stage_file(const char* path, const char* bytes, size_t len, unsigned mode, char* temp, size_t tempsize,
                  char* err, size_t errlen);
/* ...then renamed over path and the directory synced. On failure the temporary file is
 * removed. pi_discard_staged removes it without using it. */
int pi_commit_file(const char* temp, const char* path, char* err, size_t errlen);
void pi_discard_staged(const char* temp);

/* Deletes the temporary files a killed writer left beside path. */
void pi_remove_stale_temporaries(const char* path);

/* Reads a whole small file into a new NUL-terminated buffer (free it); NULL when absent
 * or over limit bytes. */
char* pi_read_file(const char* path, size_t limit, size_t* len);

#endif
