/*
 * The terminal and process-inspection commands of corral-probe (see probe.c for the
 * conventions: key=value lines on stdout, `probe: <op> <path>: <error> (<ENAME>)` and exit 1 on
 * failure, exit 2 on bad usage).
 *
 *   probe tty                        what fd 0 is as a terminal, see cmd_tty
 *   probe ptrace-watch SECS MARKER   how much of other processes can be inspected, see below
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int cmd_tty(char** a);
int cmd_ptrace_watch(char** a);

static int tty_fail(const char* op, const char* path) {
    int e = errno;
    const char* name = strerrorname_np(e);
    fflush(stdout);
    fprintf(stderr, "probe: %s %s: %s (%s)\n", op, path ? path : "", strerror(e),
            name ? name : "?");
    return 1;
}

static const char* ename(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : "?";
}

/*
 * probe tty: fd 0 as a terminal. Never fails because fd 0 is not a tty: every fact has a value
 * that says so (isatty0=0, ttyname0=none, tcpgrp=-1, rows=-1 ...).
 *
 *   isatty0=1|0  rdev0=MAJ:MIN
 *   ttyname0= ttyname1= ttyname2=  ttyname(3) of fds 0-2: /dev/pts/N, or none
 *   pid= ppid= pgid= sid=          this process
 *   tcpgrp=                        tcgetpgrp(0): the terminal's foreground process group, or -1
 *   rows= cols=                    TIOCGWINSZ on fd 0, or -1
 *   console_same=1|0|missing       /dev/console's st_rdev equals fd 0's (it is the same pty)
 *   console_rdev=MAJ:MIN|missing
 *   ctty=1|0                       opening /dev/tty works: there is a controlling terminal
 *   ctty_error=ENAME               why it did not (only when ctty=0)
 *   echo=1|0 icanon=1|0 isig=1|0   the line discipline's local modes (-1 without a tty)
 */
int cmd_tty(char** a) {
    (void)a;
    int is = isatty(0);
    printf("isatty0=%d\n", is ? 1 : 0);
    for (int fd = 0; fd <= 2; fd++) {
        char name[PATH_MAX];
        if (ttyname_r(fd, name, sizeof name) == 0)
            printf("ttyname%d=%s\n", fd, name);
        else
            printf("ttyname%d=none\n", fd);
    }

    struct stat st0;
    int have0 = fstat(0, &st0) == 0;
    if (have0)
        printf("rdev0=%u:%u\n", major(st0.st_rdev), minor(st0.st_rdev));
    else
        printf("rdev0=none\n");

    printf("pid=%d\nppid=%d\npgid=%d\nsid=%d\n", (int)getpid(), (int)getppid(), (int)getpgid(0),
           (int)getsid(0));
    printf("tcpgrp=%d\n", (int)tcgetpgrp(0));

    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
        printf("rows=%u\ncols=%u\n", ws.ws_row, ws.ws_col);
    else
        printf("rows=-1\ncols=-1\n");

    struct stat stc;
    if (stat("/dev/console", &stc) == 0) {
        int same =
            have0 && S_ISCHR(stc.st_mode) && S_ISCHR(st0.st_mode) && stc.st_rdev == st0.st_rdev;
        printf("console_same=%d\n", same);
        printf("console_rdev=%u:%u\n", major(stc.st_rdev), minor(stc.st_rdev));
    } else {
        printf("console_same=missing\nconsole_rdev=missing\n");
    }

    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        printf("ctty=1\n");
        close(fd);
    } else {
        int e = errno;
        printf("ctty=0\nctty_error=%s\n", ename(e));
    }

    struct termios t;
    if (tcgetattr(0, &t) == 0)
        printf("echo=%d\nicanon=%d\nisig=%d\n", !!(t.c_lflag & ECHO), !!(t.c_lflag & ICANON),
               !!(t.c_lflag & ISIG));
    else
        printf("echo=-1\nicanon=-1\nisig=-1\n");
    return 0;
}

/* ---- ptrace-watch --------------------------------------------------------------------------- */

#define WATCH_MAX 4096

struct watched {
    pid_t pid;
    int matched; /* 1 once its cmdline contained the marker and the attempts were made */
};

/* /proc/PID/cmdline with the NULs turned into spaces; "" when unreadable (a kernel thread, a
 * process that is gone). */
static void read_cmdline(pid_t pid, char* buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) {
        buf[0] = 0;
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 0) buf[i] = ' ';
    buf[n] = 0;
}

static pid_t parent_of(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char* p = strrchr(buf, ')');
    int ppid = 0;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1) return 0;
    return (pid_t)ppid;
}

struct attempts {
    int attached, environ_read, mem_opened, exe_read;
};

/* The four attempts on one pid; records each result on a detail line. */
static void try_pid(pid_t pid, const char* cmdline, struct attempts* ok) {
    char path[64], res_attach[32], res_env[32], res_mem[32], res_exe[32];

    if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
        ok->attached++;
        snprintf(res_attach, sizeof res_attach, "ok");
        /* The tracee stops (or exits); only a stopped tracee can be detached. A stop for another
         * signal than ours is passed back on detach. */
        int st = 0;
        pid_t w;
        do
            w = waitpid(pid, &st, __WALL);
        while (w < 0 && errno == EINTR);
        if (w == pid && WIFSTOPPED(st)) {
            int sig = WSTOPSIG(st) == SIGSTOP ? 0 : WSTOPSIG(st);
            ptrace(PTRACE_DETACH, pid, NULL, (void*)(long)sig);
        }
    } else {
        snprintf(res_attach, sizeof res_attach, "%s", ename(errno));
    }

    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[256];
        if (read(fd, buf, sizeof buf) >= 0) {
            ok->environ_read++;
            snprintf(res_env, sizeof res_env, "ok");
        } else {
            snprintf(res_env, sizeof res_env, "read:%s", ename(errno));
        }
        close(fd);
    } else {
        snprintf(res_env, sizeof res_env, "%s", ename(errno));
    }

    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ok->mem_opened++;
        snprintf(res_mem, sizeof res_mem, "ok");
        close(fd);
    } else {
        snprintf(res_mem, sizeof res_mem, "%s", ename(errno));
    }

    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    char target[PATH_MAX];
    if (readlink(path, target, sizeof target) >= 0) {
        ok->exe_read++;
        snprintf(res_exe, sizeof res_exe, "ok");
    } else {
        snprintf(res_exe, sizeof res_exe, "%s", ename(errno));
    }

    printf("detail=%d attach=%s environ=%s mem=%s exe=%s cmdline=%.80s\n", (int)pid, res_attach,
           res_env, res_mem, res_exe, cmdline);
    fflush(stdout);
}

/*
 * probe ptrace-watch SECONDS MARKER: for SECONDS, scans /proc in a tight loop for processes
 * whose cmdline contains MARKER (this process and its ancestors excluded, so a shell that
 * started the probe with MARKER in its own command line does not count). Each such pid is
 * tried once, as soon as it is seen: PTRACE_ATTACH (detached again at once), reading
 * /proc/PID/environ, opening /proc/PID/mem, readlink /proc/PID/exe. Prints a detail= line per
 * pid, then the totals: seen= attached= environ_read= mem_opened= exe_read=.
 */
int cmd_ptrace_watch(char** a) {
    char* end;
    double secs = strtod(a[0], &end);
    if (end == a[0] || *end || secs < 0 || secs > 3600) {
        fprintf(stderr, "probe: ptrace-watch: SECONDS must be 0..3600 (try `probe help`)\n");
        return 2;
    }
    const char* marker = a[1];
    if (!*marker) {
        fprintf(stderr, "probe: ptrace-watch: MARKER must not be empty (try `probe help`)\n");
        return 2;
    }

    static struct watched w[WATCH_MAX];
    int nw = 0;
    /* Ourselves and our ancestors are never candidates. */
    for (pid_t p = getpid(); p > 0 && nw < 64; p = parent_of(p))
        w[nw++] = (struct watched){p, -1};

    struct attempts ok = {0, 0, 0, 0};
    int seen = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    printf("watching=%s\n", marker);
    fflush(stdout);
    for (;;) {
        DIR* d = opendir("/proc");
        if (!d) return tty_fail("opendir", "/proc");
        struct dirent* e;
        while ((e = readdir(d))) {
            char* tail;
            long v = strtol(e->d_name, &tail, 10);
            if (*tail || v <= 0) continue;
            pid_t pid = (pid_t)v;
            int i;
            for (i = 0; i < nw && w[i].pid != pid; i++) {
            }
            if (i < nw && w[i].matched) continue; /* done with it (or one of ours) */
            char cmdline[4096];
            read_cmdline(pid, cmdline, sizeof cmdline);
            if (!strstr(cmdline, marker))
                continue; /* not (yet) interesting: checked again next round */
            if (i == nw) {
                if (nw == WATCH_MAX) continue;
                w[nw++] = (struct watched){pid, 0};
            }
            w[i].matched = 1;
            seen++;
            try_pid(pid, cmdline, &ok);
        }
        closedir(d);
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed =
            (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= secs) break;
    }
    printf("seen=%d\nattached=%d\nenviron_read=%d\nmem_opened=%d\nexe_read=%d\n", seen, ok.attached,
           ok.environ_read, ok.mem_opened, ok.exe_read);
    return 0;
}
