/* exe-grabber SECONDS DEV INO
 *
 * Runs inside a container (SECURITY.md class 1, CVE-2019-5736) and, for SECONDS, scans every
 * /proc/<pid>/exe it can see. DEV and INO (decimal st_dev and st_ino, as `stat -c '%d %i'`
 * prints them on the host) name the runtime binary. Each finding is printed once, as it
 * happens, with write(2) so nothing is lost in a buffer when the container is killed:
 *
 *   DENIED <pid> <errno name>   open(O_PATH) of /proc/<pid>/exe failed (non-dumpable...)
 *   OTHER <pid>                 opened, but it is some other file
 *   REACHED <pid>               opened, and it IS the runtime binary
 *   WRITE-OPENED <pid>          the runtime binary reopened for writing (nothing is written)
 *
 * An O_PATH fd of a REACHED binary is kept and the write reopen retried on every round, as the
 * real exploit does while it waits for the runtime to exit (ETXTBSY until then). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXPID 4194304

static unsigned char *seen; /* per pid: bit 0 reported, bit 1 write-opened */
static int kept[256];
static int nkept;

static void say(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)!write(1, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *errname(int e)
{
    switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case ETXTBSY: return "ETXTBSY";
    case EROFS: return "EROFS";
    default: return strerror(e);
    }
}

static void try_write(int pid, int path_fd)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", path_fd);
    int w = open(p, O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
        if (!(seen[pid] & 2))
            say("WRITE-OPENED %d\n", pid);
        seen[pid] |= 2;
        close(w);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        say("usage: exe-grabber SECONDS DEV INO\n");
        return 2;
    }
    double secs = atof(argv[1]);
    unsigned long long dev = strtoull(argv[2], NULL, 10), ino = strtoull(argv[3], NULL, 10);
    seen = calloc(MAXPID, 1);
    int kept_pid[256];
    pid_t self = getpid();
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    say("GRABBER-STARTED %d\n", (int)self);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > secs)
            break;
        DIR *d = opendir("/proc");
        if (!d)
            return 1;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || pid >= MAXPID || pid == self)
                continue;
            char p[64];
            snprintf(p, sizeof p, "/proc/%ld/exe", pid);
            int fd = open(p, O_PATH | O_CLOEXEC);
            if (fd < 0) {
                int err = errno;
                if (!(seen[pid] & 1) && err != ENOENT && err != ESRCH) {
                    say("DENIED %ld %s\n", pid, errname(err));
                    seen[pid] |= 1;
                }
                continue;
            }
            struct stat st;
            if (fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
                (unsigned long long)st.st_ino == ino) {
                if (!(seen[pid] & 1))
                    say("REACHED %ld\n", pid);
                seen[pid] |= 1;
                try_write((int)pid, fd);
                if (nkept < 256) {
                    kept_pid[nkept] = (int)pid;
                    kept[nkept++] = fd;
                    continue;
                }
            } else if (!(seen[pid] & 1)) {
                say("OTHER %ld\n", pid);
                seen[pid] |= 1;
            }
            close(fd);
        }
        closedir(d);
        for (int i = 0; i < nkept; i++)
            try_write(kept_pid[i], kept[i]);
    }
    say("GRABBER-DONE\n");
    return 0;
}
