#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char* err, size_t errlen, const char* what, const char* path) {
  snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
  return -1;
}

static int write_all(int fd, const char* bytes, size_t len) {
  while (len > 0) {
    const ssize_t n = write(fd, bytes, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    bytes += n;
    len -= (size_t)n;
  }
  return 0;
}

void pi_remove_stale_temporaries(const char* path) {
  char pattern[8300];
  size_t n = 0;
  glob_t found;
  size_t i;
  /* Temporary names are "<path>.henge-tmp-<pid>"; the path's own glob characters are
   * escaped so the pattern can match nothing else. */
  for (; *path != '\0' && n + 2 < sizeof pattern - 16; ++path) {
    if (strchr("*?[\\", *path) != NULL) pattern[n++] = '\\';
    pattern[n++] = *path;
  }
  if (*path != '\0') return; /* too long to be a path we wrote */
  strcpy(pattern + n, ".henge-tmp-*");
  if (glob(pattern, GLOB_NOSORT, NULL, &found) != 0) return;
  for (i = 0; i < found.gl_pathc; ++i) unlink(found.gl_pathv[i]);
  globfree(&found);
}

char* pi_read_file(const char* path, size_t limit, size_t* len) {
  FILE* f = fopen(path, "rb");
  char* out;
  size_t n;
  if (f == NULL) return NULL;
  out = (char*)malloc(limit + 2);
  if (out == NULL) {
    fclose(f);
    return NULL;
  }
  n = fread(out, 1, limit + 1, f);
  fclose(f);
  if (n > limit) {
    free(out);
    return NULL;
  }
  out[n] = '\0';
  if (len != NULL) *len = n;
  return out;
}

int pi_stage_file(const char* path, const char* bytes, size_t len, unsigned mode, char* temp, size_t tempsize,
                  char* err, size_t errlen) {
  char* back;
  size_t back_len = 0;
  int fd;
  if (snprintf(temp, tempsize, "%s.henge-tmp-%ld", path, (long)getpid()) >= (int)tempsize) {
    snprintf(err, errlen, "path too long: %s", path);
    return -1;
  }
  fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return fail(err, errlen, "cannot create", temp);
  if (write_all(fd, bytes, len) != 0 || fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
    fail(err, errlen, "cannot write", temp);
    close(fd);
    unlink(temp);
    return -1;
  }
  if (close(fd) != 0) { /* some file systems report a failed write only here */
    fail(err, errlen, "cannot write", temp);
    unlink(temp);
    return -1;
  }
  back = pi_read_file(temp, len, &back_len);
  if (back == NULL || back_len != len || memcmp(back, bytes, len) != 0) {
    free(back);
    unlink(temp);
    snprintf(err, errlen, "read back %s and it differs from what was written", temp);
    return -1;
  }
  free(back);
  return 0;
}

void pi_discard_staged(const char* temp) {
  unlink(temp);
}

int pi_commit_file(const char* temp, const char* path, char* err, size_t errlen) {
  char dir[4096];
  const char* slash = strrchr(path, '/');
  int fd;
  if (rename(temp, path) != 0) {
    fail(err, errlen, "cannot rename over", path);
    unlink(temp);
    return -1;
  }
  if (slash == NULL) {
    snprintf(dir, sizeof dir, ".");
  } else {
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path == 0 ? 1 : slash - path), path);
  }
  fd = open(dir, O_RDONLY);
  if (fd < 0) return fail(err, errlen, "cannot open directory", dir);
  if (fsync(fd) != 0) {
    fail(err, errlen, "cannot fsync directory", dir);
    close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

int pi_write_atomically(const char* path, const char* bytes, size_t len, unsigned mode, char* err, size_t errlen) {
  char temp[4096];
  if (pi_stage_file(path, bytes, len, mode, temp, sizeof temp, err, errlen) != 0) return -1;
  return pi_commit_file(temp, path, err, errlen);
}
