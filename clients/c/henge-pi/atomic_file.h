/* Replacing a file so that it always holds the old or the new content, never part of
 * either: a temporary file beside it, fsync, read back, rename, fsync the directory. */
#ifndef HENGE_PI_ATOMIC_FILE_H
#define HENGE_PI_ATOMIC_FILE_H

#include <stddef.h>

/* Returns 0, or -1 with a message in err. The file gets mode (e.g. 0644). */
int pi_write_atomically(const char* path, const char* bytes, size_t len, unsigned mode, char* err, size_t errlen);

/* Deletes the temporary files a killed writer left beside path. */
void pi_remove_stale_temporaries(const char* path);

/* Reads a whole small file into a new NUL-terminated buffer (free it); NULL when absent
 * or over limit bytes. */
char* pi_read_file(const char* path, size_t limit, size_t* len);

#endif
