/* The floor under a process's memory figures: a program that does nothing, prints
 * "ready" and stays until killed. Under qemu-user its RSS is qemu's own share (the
 * translator, its code cache, the guest's loader and libc), which the footprint
 * benchmark subtracts from henge-pi's arm64 figure. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  puts("ready");
  fflush(stdout);
  pause();
  return 0;
}
