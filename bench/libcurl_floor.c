/* The memory any program pays for linking Debian's libcurl, before it does any work of
 * its own: loads the library (and the shared objects it depends on), initialises it and
 * makes one easy handle, then prints its VmRSS and RssFile in KiB and stays until killed
 * (so the caller reads the same figures henge-pi's are read with). */
#include <curl/curl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  CURL* easy = curl_easy_init();
  if (!easy) return 1;
  puts("ready");
  fflush(stdout);
  pause();
  curl_easy_cleanup(easy);
  curl_global_cleanup();
  return 0;
}
