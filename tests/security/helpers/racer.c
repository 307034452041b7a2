/* racer SECONDS A B
 *
 * Swaps the directory entries A and B with renameat2(RENAME_EXCHANGE) as fast as it can, for
 * at most SECONDS (a forgotten racer ends by itself) or until SIGTERM/SIGINT. The tests make
 * A a directory and B a symlink (to "/", to a host canary, to /proc/sys/kernel), so a runtime
 * resolving a path through A sees one or the other at any moment (SECURITY.md, "racer").
 *
 * On exit the entries are swapped back if needed, so A is the directory again, and the number
 * of exchanges is printed as `swaps=N`. Exits 1 if not a single exchange worked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int exchange(const char *a, const char *b)
{
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: racer SECONDS A B\n");
        return 2;
    }
    double secs = atof(argv[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long swaps = 0, errors = 0;
    int last_errno = 0;
    while (!stop) {
        if (exchange(argv[2], argv[3]) == 0) {
            swaps++;
        } else {
            errors++;
            last_errno = errno;
        }
        if ((swaps + errors) % 1024 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > secs)
                break;
        }
    }
    if (swaps % 2 == 1 && exchange(argv[2], argv[3]) == 0)
        swaps++;
    printf("swaps=%lu errors=%lu\n", swaps, errors);
    if (errors)
        printf("last_error=%s\n", strerror(last_errno));
    return swaps ? 0 : 1;
}
