/*
 * The PID 1 commands of corral-probe, for init.bats (`--init`: corral-init in front of the
 * command) and bench/init-compare.sh. Conventions as in probe.c: key=value lines on stdout,
 * `probe: <op> <path>: <error> (<ENAME>)` and exit 1 on failure, exit 2 on bad usage.
 *
 *   probe orphans N                 N processes that become orphans of the pid namespace and
 *                                   then exit in one burst; prints orphans=N once released
 *   probe zombies-count             procs= (every process in /proc) and zombies= (state Z)
 *   probe term-worker SECS MARKER   a SIGTERM handler that takes SECS, then writes MARKER
 *   probe setsid-sleeper SECS       leaves a setsid'd child sleeping SECS; prints its pid
 *   probe sigstate                  pid= ppid= and SigPnd/SigBlk/SigIgn/SigCgt of itself
 *   probe proc-access PID|self      what this process may do to PID's /proc files
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
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int cmd_orphans(char** a);
int cmd_zombies_count(char** a);
int cmd_term_worker(char** a);
int cmd_setsid_sleeper(char** a);
int cmd_sigstate(char** a);
int cmd_proc_access(char** a);

static int init_fail(const char* op, const char* path) {
    int e = errno;
    const char* name = strerrorname_np(e);
    fflush(stdout);
    fprintf(stderr, "probe: %s %s: %s (%s)\n", op, path ? path : "", strerror(e),
            name ? name : "?");
    return 1;
}

static int init_usage(const char* msg) {
    fprintf(stderr, "probe: %s (try `probe help`)\n", msg);
    return 2;
}

static const char* errname(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : "?";
}

static int parse_count(const char* s, long min, long max, long* out) {
    char* end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char* s, double* out) {
    char* end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0 || v > 86400) return -1;
    *out = v;
    return 0;
}

/* Sleeps the whole time, whatever interrupts it (a SIGCONT with a handler, a stop). */
static void sleep_all(double secs) {
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static void write_str(int fd, const char* s) {
    size_t len = strlen(s);
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        s += n;
        len -= (size_t)n;
    }
}

/* ---- orphans ------------------------------------------------------------------------------ */

/* A child of the middle process: it waits on the barrier and exits. It shares the middle's
 * memory (CLONE_VM: thousands of fork()s would copy page tables, 1-2 ms each on the test VM)
 * but has its own descriptor table, so only raw system calls, nothing that touches shared
 * state. */
static int barrier_rd, barrier_wr;

static int orphan_main(void* arg) {
    (void)arg;
    syscall(SYS_close, barrier_wr);
    char ch;
    while (syscall(SYS_read, barrier_rd, &ch, 1) < 0) {
    }
    syscall(SYS_exit, 0);
    return 0;
}

#define ORPHAN_STACK 16384

/*
 * probe orphans N: a middle process makes N children, each blocked reading a pipe (the
 * barrier); the middle exits, so the N are orphans (the kernel hands them to the namespace's
 * reaper, PID 1 unless a subreaper is in between); once this process has reaped the middle it
 * closes the last write end of the barrier and all N read EOF and exit at once. Prints
 * orphans=N then. Nothing here waits for the N: they are no longer anyone's children but the
 * reaper's.
 */
int cmd_orphans(char** a) {
    long n;
    if (parse_count(a[0], 1, 30000, &n)) return init_usage("orphans: N must be 1..30000");
    int barrier[2];
    if (pipe2(barrier, O_CLOEXEC) < 0) return init_fail("pipe", NULL);
    barrier_rd = barrier[0];
    barrier_wr = barrier[1];
    fflush(stdout);
    pid_t middle = fork();
    if (middle < 0) return init_fail("fork", NULL);
    if (middle == 0) {
        char* stacks = mmap(NULL, (size_t)n * ORPHAN_STACK, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (stacks == MAP_FAILED) {
            init_fail("mmap", "orphan stacks");
            _exit(1);
        }
        for (long i = 0; i < n; i++) {
            /* SIGCHLD as the exit signal: to their reaper they are ordinary children. */
            pid_t c = clone(orphan_main, stacks + (i + 1) * ORPHAN_STACK, CLONE_VM | SIGCHLD,
                            NULL);
            if (c < 0) {
                char msg[128];
                snprintf(msg, sizeof msg, "probe: clone %ld of %ld: %s (%s)\n", i + 1, n,
                         strerror(errno), errname(errno));
                write_str(2, msg);
                _exit(1);
            }
        }
        _exit(0);
    }
    close(barrier[0]);
    int st;
    while (waitpid(middle, &st, 0) < 0) {
        if (errno != EINTR) return init_fail("waitpid", NULL);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        /* Release whatever was made, then fail: the error is on stderr already. */
        close(barrier[1]);
        errno = ECHILD;
        return init_fail("orphans", "the middle process failed");
    }
    /* The middle's exit reparented all N; release them. */
    close(barrier[1]);
    printf("orphans=%ld\n", n);
    return 0;
}

/* ---- zombies-count ------------------------------------------------------------------------ */

/* The state letter of /proc/PID/stat ('?' when the process is gone). */
static char proc_state_of(const char* pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%.20s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return '?';
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) return '?';
    buf[len] = 0;
    char* p = strrchr(buf, ')');
    if (!p || p[1] != ' ') return '?';
    return p[2];
}

/*
 * probe zombies-count: scans /proc/[0-9]* and prints procs=P (every process found, this one
 * included), zombies=K (those in state Z) and zombie_pids=... (the first 20 of them).
 */
int cmd_zombies_count(char** a) {
    (void)a;
    DIR* d = opendir("/proc");
    if (!d) return init_fail("opendir", "/proc");
    long procs = 0, zombies = 0;
    char pids[256] = "";
    size_t used = 0;
    struct dirent* e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char s = proc_state_of(e->d_name);
        if (s == '?') continue;
        procs++;
        if (s != 'Z') continue;
        if (zombies < 20 && used + strlen(e->d_name) + 2 < sizeof pids)
            used += (size_t)snprintf(pids + used, sizeof pids - used, "%s%s", zombies ? "," : "",
                                     e->d_name);
        zombies++;
    }
    closedir(d);
    printf("procs=%ld\nzombies=%ld\nzombie_pids=%s\n", procs, zombies, pids);
    return 0;
}

/* ---- term-worker -------------------------------------------------------------------------- */

static double worker_secs;
static const char* worker_marker;

/* The cleanup a worker does on SIGTERM: it takes worker_secs, then leaves the marker. Only
 * async-signal-safe calls. */
static void on_term(int sig) {
    (void)sig;
    sleep_all(worker_secs);
    int fd = open(worker_marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        write_str(fd, "cleaned-up\n");
        close(fd);
    }
    _exit(0);
}

/*
 * probe term-worker SECS MARKER: installs a SIGTERM handler that sleeps SECS, writes
 * "cleaned-up" to MARKER and exits 0 (other signals keep their dispositions; SIGTERM is not
 * blocked); prints worker=PID and ready, then waits.
 */
int cmd_term_worker(char** a) {
    if (parse_seconds(a[0], &worker_secs))
        return init_usage("term-worker: SECONDS must be a non-negative number");
    worker_marker = a[1];
    if (!*worker_marker) return init_usage("term-worker: MARKER must not be empty");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0) return init_fail("sigaction", "SIGTERM");
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    printf("worker=%d\nready\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}

/* ---- setsid-sleeper ----------------------------------------------------------------------- */

/*
 * probe setsid-sleeper SECS: forks a child that calls setsid() (a session and process group
 * of its own, out of reach of anything that signals the caller's group) and sleeps SECS with
 * default dispositions; prints sleeper=PID (its pid in this pid namespace) once the setsid is
 * done and exits 0.
 */
int cmd_setsid_sleeper(char** a) {
    double secs;
    if (parse_seconds(a[0], &secs))
        return init_usage("setsid-sleeper: SECONDS must be a non-negative number");
    int done[2];
    if (pipe2(done, O_CLOEXEC) < 0) return init_fail("pipe", NULL);
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return init_fail("fork", NULL);
    if (child == 0) {
        close(done[0]);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        char ok = setsid() < 0 ? 'e' : 's';
        if (write(done[1], &ok, 1) < 0) _exit(1);
        close(done[1]);
        /* Its stdio may be the container's: leave it, a daemon would keep it too. */
        sleep_all(secs);
        _exit(0);
    }
    close(done[1]);
    char ok = 0;
    while (read(done[0], &ok, 1) < 0 && errno == EINTR) {
    }
    close(done[0]);
    if (ok != 's') {
        errno = ok == 'e' ? EPERM : EPIPE;
        return init_fail("setsid", "in the child");
    }
    printf("sleeper=%d\n", (int)child);
    return 0;
}

/* ---- sigstate ----------------------------------------------------------------------------- */

/*
 * probe sigstate: pid= ppid= pgid= sid= and the SigPnd, ShdPnd, SigBlk, SigIgn and SigCgt
 * lines of /proc/self/status, as Key=value (hex masks as the kernel prints them).
 */
int cmd_sigstate(char** a) {
    (void)a;
    printf("pid=%d\nppid=%d\npgid=%d\nsid=%d\n", (int)getpid(), (int)getppid(), (int)getpgid(0),
           (int)getsid(0));
    FILE* f = fopen("/proc/self/status", "re");
    if (!f) return init_fail("open", "/proc/self/status");
    static const char* keys[] = {"SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", NULL};
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char* colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        for (int i = 0; keys[i]; i++) {
            if (strcmp(line, keys[i])) continue;
            char* v = colon + 1;
            v += strspn(v, " \t");
            printf("%s=%s", line, v);
        }
    }
    fclose(f);
    return 0;
}

/* ---- proc-access -------------------------------------------------------------------------- */

/*
 * probe proc-access PID|self: what this process may do to another one's /proc entries, one
 * line each, ok or the errno name:
 *   exe_write=    open(/proc/PID/exe, O_WRONLY)   (the binary behind it, for writing)
 *   exe_read=     open(/proc/PID/exe, O_RDONLY)
 *   exe_link=     readlink(/proc/PID/exe)
 *   environ=      open and read /proc/PID/environ
 *   mem=          open(/proc/PID/mem, O_RDONLY)
 *   fd_dir=       opendir(/proc/PID/fd)
 *   ptrace=       PTRACE_SEIZE (no stop; detached at once when it worked)
 */
int cmd_proc_access(char** a) {
    long pid;
    if (!strcmp(a[0], "self"))
        pid = getpid();
    else if (parse_count(a[0], 1, INT_MAX, &pid))
        return init_usage("proc-access: PID must be a pid or self");
    char path[64];
    printf("target=%ld\n", pid);

    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    printf("exe_write=%s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    printf("exe_read=%s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) close(fd);
    char target[PATH_MAX];
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len >= 0) {
        target[len] = 0;
        printf("exe_link=ok\nexe_target=%s\n", target);
    } else {
        printf("exe_link=%s\n", errname(errno));
    }

    snprintf(path, sizeof path, "/proc/%ld/environ", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf);
        printf("environ=%s\n", n >= 0 ? "ok" : errname(errno));
        close(fd);
    } else {
        printf("environ=%s\n", errname(errno));
    }

    snprintf(path, sizeof path, "/proc/%ld/mem", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    printf("mem=%s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) close(fd);

    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR* d = opendir(path);
    printf("fd_dir=%s\n", d ? "ok" : errname(errno));
    if (d) closedir(d);

    if (pid != getpid()) {
        if (ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL) == 0) {
            printf("ptrace=ok\n");
            /* A seized tracee is not stopped; detaching needs a stop: interrupt, wait, go. */
            ptrace(PTRACE_INTERRUPT, (pid_t)pid, NULL, NULL);
            int st;
            if (waitpid((pid_t)pid, &st, __WALL) == (pid_t)pid && WIFSTOPPED(st))
                ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
        } else {
            printf("ptrace=%s\n", errname(errno));
        }
    }
    return 0;
}
