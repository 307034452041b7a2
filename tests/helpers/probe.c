/*
 * corral-probe: the static helper that the integration tests run inside containers.
 *
 * One multi-call program, `probe <cmd> [args]`, printing `key=value` lines so that bats tests
 * can assert on exact values. It is linked statically because the test rootfs is busybox-only
 * (no libc). Every failure prints one line on stderr, `probe: <op> <path>: <strerror> (<ENAME>)`,
 * and exits 1; bad usage exits 2. It never reads anything from the rootfs it does not need, so
 * it also works in half-built or read-only roots.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every command has the signature int(char **args); most take no arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

extern char **environ;

static int fail(const char *op, const char *path)
{
    int e = errno;
    const char *name = strerrorname_np(e);
    fflush(stdout);
    fprintf(stderr, "probe: %s %s: %s (%s)\n", op, path ? path : "", strerror(e),
            name ? name : "?");
    return 1;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "probe: %s (try `probe help`)\n", msg);
    return 2;
}

/* Strict decimal parsing: a typo in a test must not silently become 0. */
static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Copies a file to stdout; used by `read` and `mounts`. */
static int cat_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail("open", path);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int r = fail("read", path);
            close(fd);
            return r;
        }
        if (n == 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
    return 0;
}

/* ---- identity and namespaces ------------------------------------------------------------ */

static int not_dot(const struct dirent *e) { return e->d_name[0] != '.'; }

static int cmd_ns(char **a)
{
    struct dirent **list;
    int n = scandir("/proc/self/ns", &list, not_dot, alphasort);
    if (n < 0)
        return fail("scandir", "/proc/self/ns");
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%.200s", list[i]->d_name);
        if (stat(path, &st) < 0)
            return fail("stat", path);
        printf("%s=%llu\n", list[i]->d_name, (unsigned long long)st.st_ino);
    }
    return 0;
}

static int cmd_ids(char **a)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("uid=%u\neuid=%u\nsuid=%u\ngid=%u\negid=%u\nsgid=%u\ngroups=", r, e, s, gr, ge, gs);
    gid_t groups[256];
    int n = getgroups(256, groups);
    if (n < 0)
        return fail("getgroups", NULL);
    for (int i = 0; i < n; i++)
        printf("%s%u", i ? "," : "", groups[i]);
    printf("\n");
    return 0;
}

static int cmd_cwd(char **a)
{
    char buf[4096];
    if (!getcwd(buf, sizeof buf))
        return fail("getcwd", NULL);
    printf("cwd=%s\n", buf);
    return 0;
}

static int cmd_uts(const char *which)
{
    struct utsname u;
    if (uname(&u) < 0)
        return fail("uname", NULL);
    if (!strcmp(which, "hostname"))
        printf("hostname=%s\n", u.nodename);
    else
        printf("domainname=%s\n", u.domainname);
    return 0;
}

/* ---- limits and scheduling -------------------------------------------------------------- */

#define RL(r) {r, #r}
static const struct {
    int res;
    const char *name;
} rlimits[] = {
    RL(RLIMIT_AS),     RL(RLIMIT_CORE),   RL(RLIMIT_CPU),     RL(RLIMIT_DATA),
    RL(RLIMIT_FSIZE),  RL(RLIMIT_LOCKS),  RL(RLIMIT_MEMLOCK), RL(RLIMIT_MSGQUEUE),
    RL(RLIMIT_NICE),   RL(RLIMIT_NOFILE), RL(RLIMIT_NPROC),   RL(RLIMIT_RSS),
    RL(RLIMIT_RTPRIO), RL(RLIMIT_RTTIME), RL(RLIMIT_SIGPENDING), RL(RLIMIT_STACK),
};

static const char *limit_str(rlim_t v, char *buf, size_t len)
{
    if (v == RLIM_INFINITY)
        return "unlimited";
    snprintf(buf, len, "%llu", (unsigned long long)v);
    return buf;
}

static int cmd_rlimits(char **a)
{
    for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
        struct rlimit rl;
        if (getrlimit(rlimits[i].res, &rl) < 0)
            return fail("getrlimit", rlimits[i].name);
        char soft[32], hard[32];
        printf("%s=%s/%s\n", rlimits[i].name, limit_str(rl.rlim_cur, soft, sizeof soft),
               limit_str(rl.rlim_max, hard, sizeof hard));
    }
    return 0;
}

/* glibc 2.36 has no wrapper or struct for sched_getattr; this is the kernel's layout. */
struct probe_sched_attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

static int cmd_sched(char **a)
{
    static const char *policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                     "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};
    struct probe_sched_attr at;
    memset(&at, 0, sizeof at);
    if (syscall(SYS_sched_getattr, 0, &at, sizeof at, 0) < 0)
        return fail("sched_getattr", NULL);
    printf("policy=%s\n", at.sched_policy < 7 ? policies[at.sched_policy] : "unknown");
    printf("nice=%d\npriority=%u\nflags=%llu\n", at.sched_nice, at.sched_priority,
           (unsigned long long)at.sched_flags);
    printf("runtime=%llu\ndeadline=%llu\nperiod=%llu\n", (unsigned long long)at.sched_runtime,
           (unsigned long long)at.sched_deadline, (unsigned long long)at.sched_period);
    return 0;
}

static int cmd_ioprio(char **a)
{
    static const char *classes[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                    "IOPRIO_CLASS_IDLE"};
    long v = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    if (v < 0)
        return fail("ioprio_get", NULL);
    long cls = (v >> 13) & 7;
    printf("class=%s\npriority=%ld\n", cls < 4 ? classes[cls] : "unknown", v & 0x1fff);
    return 0;
}

static int cmd_personality(char **a)
{
    int p = personality(0xffffffff);
    if (p < 0)
        return fail("personality", NULL);
    const char *domain = (p & PER_MASK) == PER_LINUX32 ? "LINUX32"
                         : (p & PER_MASK) == PER_LINUX ? "LINUX"
                                                       : "other";
    printf("personality=0x%x\ndomain=%s\nflags=0x%x\n", (unsigned)p, domain,
           (unsigned)p & ~(unsigned)PER_MASK);
    return 0;
}

static int cmd_timens(char **a)
{
    struct timespec mono, boot;
    if (clock_gettime(CLOCK_MONOTONIC, &mono) < 0)
        return fail("clock_gettime", "CLOCK_MONOTONIC");
    if (clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
        return fail("clock_gettime", "CLOCK_BOOTTIME");
    printf("monotonic=%lld\nboottime=%lld\n", (long long)mono.tv_sec, (long long)boot.tv_sec);
    return 0;
}

/* ---- /proc/self views ------------------------------------------------------------------- */

static int cmd_fds(char **a)
{
    /* scandir has closed its own directory fd when it returns, so that entry fails below with
     * ENOENT and is skipped; versionsort orders the numbers numerically. */
    struct dirent **list;
    int n = scandir("/proc/self/fd", &list, not_dot, versionsort);
    if (n < 0)
        return fail("scandir", "/proc/self/fd");
    for (int i = 0; i < n; i++) {
        char link[PATH_MAX], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%.200s", list[i]->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len < 0 && errno == ENOENT)
            continue;
        if (len < 0)
            return fail("readlink", link);
        target[len] = 0;
        printf("fd%s=%s\n", list[i]->d_name, target);
    }
    return 0;
}

/* Copies the interesting /proc/self/status lines, turning "Key:\tvalue" into "Key=value". */
static int cmd_caps(char **a)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return fail("open", "/proc/self/status");
    static const char *keys[] = {"CapInh", "CapPrm",     "CapEff",  "CapBnd",
                                 "CapAmb", "NoNewPrivs", "Seccomp", NULL};
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        for (int i = 0; keys[i]; i++) {
            if (strcmp(line, keys[i]))
                continue;
            char *v = colon + 1;
            v += strspn(v, " \t");
            printf("%s=%s", line, v);
        }
    }
    fclose(f);
    return 0;
}

/* The first line of a small file (procfs values), without its newline. */
static int read_value(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail("open", path);
    ssize_t len = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    errno = e;
    if (len < 0)
        return fail("read", path);
    buf[len] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

static int cmd_oom(char **a)
{
    char v[64];
    if (read_value("/proc/self/oom_score_adj", v, sizeof v))
        return 1;
    printf("oom_score_adj=%s\n", v);
    return 0;
}

static int cmd_sysctl(char **a)
{
    char path[512], value[4096];
    int n = snprintf(path, sizeof path, "/proc/sys/%s", a[0]);
    for (int i = 10; i < n; i++)
        if (path[i] == '.')
            path[i] = '/';
    if (read_value(path, value, sizeof value))
        return 1;
    printf("%s=%s\n", a[0], value);
    return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

static const char *file_type(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    }
    return "unknown";
}

/* lstat semantics: a /dev link must be reported as the link it is, with its target. */
static int cmd_stat(char **a)
{
    const char *path = a[0];
    struct stat st;
    if (lstat(path, &st) < 0)
        return fail("stat", path);
    printf("type=%s\nmode=%04o\n", file_type(st.st_mode), (unsigned)(st.st_mode & 07777));
    printf("rdev=%u:%u\nuid=%u\ngid=%u\nsize=%lld\n", major(st.st_rdev), minor(st.st_rdev),
           st.st_uid, st.st_gid, (long long)st.st_size);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            return fail("readlink", path);
        target[n] = 0;
        printf("target=%s\n", target);
    }
    return 0;
}

static int cmd_statfs(char **a)
{
    const char *path = a[0];
    struct statfs s;
    if (statfs(path, &s) < 0)
        return fail("statfs", path);
    printf("fstype=0x%lx\n", (unsigned long)s.f_type);
    return 0;
}

static int cmd_write(char **a)
{
    const char *path = a[0], *content = a[1];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail("open", path);
    size_t len = strlen(content);
    ssize_t n = write(fd, content, len);
    if (n < 0 || (size_t)n != len) {
        if (n >= 0)
            errno = EIO;
        int r = fail("write", path);
        close(fd);
        return r;
    }
    if (close(fd) < 0)
        return fail("close", path);
    printf("wrote=%zu\n", len);
    return 0;
}

/* Reports each step, so a test can tell "mknod refused" (capabilities) from "open refused"
 * (device cgroup). */
static int cmd_mknod_open(char **a)
{
    const char *path = a[0], *maj = a[1], *min = a[2];
    long ma, mi;
    if (parse_long(maj, &ma) || parse_long(min, &mi))
        return usage_error("mknod-open: MAJ and MIN must be decimal");
    if (mknod(path, S_IFCHR | 0666, makedev(ma, mi)) < 0)
        return fail("mknod", path);
    printf("mknod=ok\n");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail("open", path);
    close(fd);
    printf("open=ok\n");
    return 0;
}

/* ---- processes and signals -------------------------------------------------------------- */

static volatile sig_atomic_t keep_going;

/* Async-signal-safe: formats with no stdio and writes once, so lines never interleave. */
static void on_signal(int sig)
{
    char buf[32] = "signal=";
    int i = 7;
    if (sig >= 10)
        buf[i++] = (char)('0' + sig / 10);
    buf[i++] = (char)('0' + sig % 10);
    buf[i++] = '\n';
    ssize_t ignored = write(STDOUT_FILENO, buf, (size_t)i);
    (void)ignored;
    if (!keep_going)
        _exit(128 + sig);
}

static int cmd_trap(char **a)
{
    if (a[0] && !strcmp(a[0], "--keep") && !a[1])
        keep_going = 1;
    else if (a[0])
        return usage_error("trap: the only option is --keep");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig <= 64; sig++) {
        /* SIGKILL/SIGSTOP cannot be caught; glibc reserves 32 and 33 for itself. */
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33)
            continue;
        if (sigaction(sig, &sa, NULL) < 0)
            return fail("sigaction", NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

static int cmd_kill_self(char **a)
{
    long sig;
    if (parse_long(a[0], &sig) || sig < 1 || sig > 64)
        return usage_error("kill-self: N must be a signal number");
    /* The init of a pid namespace ignores its own signals unless it has a handler: report that
     * instead of hanging, so a test that forgot to drop the pid namespace fails clearly. */
    if (getpid() == 1) {
        errno = EPERM;
        return fail("kill-self", "pid 1 of a pid namespace cannot signal itself");
    }
    signal((int)sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, (int)sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    fflush(stdout);
    if (kill(getpid(), (int)sig) < 0)
        return fail("kill", NULL);
    for (;;)
        pause();
}

/* Forks N children that exit at once and are never reaped, prints their pids once all are
 * zombies, then sleeps until killed: tests that the runtime's cleanup copes with them. */
static int cmd_zombies(char **a)
{
    long n;
    if (parse_long(a[0], &n) || n < 1 || n > 1000)
        return usage_error("zombies: N must be 1..1000");
    pid_t pids[1000];
    for (long i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            return fail("fork", NULL);
        if (pids[i] == 0)
            _exit(0);
    }
    for (long i = 0; i < n; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        /* WNOWAIT: wait for the exit without reaping, so the zombie stays. */
        if (waitid(P_PID, (id_t)pids[i], &si, WEXITED | WNOWAIT) < 0)
            return fail("waitid", NULL);
    }
    printf("zombies=");
    for (long i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("\n");
    fflush(stdout);
    for (;;)
        pause();
}

static int cmd_sleep(char **a)
{
    char *end;
    double secs = strtod(a[0], &end);
    if (end == a[0] || *end || secs < 0)
        return usage_error("sleep: SECONDS must be a non-negative number");
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    return 0;
}

/* Touches N MiB, one page at a time, reporting each MiB: a memory limit
 * shows up as an OOM kill partway (the last "hog=" line says how far). */
static int cmd_hog(char **a)
{
    long mib;
    if (parse_long(a[0], &mib) || mib < 1 || mib > 65536)
        return usage_error("hog: MIB must be 1..65536");
    long page = sysconf(_SC_PAGESIZE);
    for (long i = 1; i <= mib; i++) {
        /* volatile: clang removes a malloc whose memory is only written
         * (the sanitizer lane builds this helper with clang). */
        volatile char *p = malloc(1 << 20);
        if (!p)
            return fail("malloc", "1MiB");
        for (long off = 0; off < (1 << 20); off += page)
            p[off] = 1;
        printf("hog=%ld\n", i);
        fflush(stdout);
    }
    printf("hogged=%ld\n", mib);
    return 0;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* In probe_tty.c: terminals and process inspection. */
int cmd_tty(char **a);
int cmd_ptrace_watch(char **a);
/* In probe_init.c: PID 1 (corral-init) scenarios. */
int cmd_orphans(char **a);
int cmd_zombies_count(char **a);
int cmd_term_worker(char **a);
int cmd_setsid_sleeper(char **a);
int cmd_sigstate(char **a);
int cmd_proc_access(char **a);

static int cmd_pid(char **a) { printf("pid=%d\n", (int)getpid()); return 0; }
static int cmd_ppid(char **a) { printf("ppid=%d\n", (int)getppid()); return 0; }
static int cmd_hostname(char **a) { return cmd_uts("hostname"); }
static int cmd_domainname(char **a) { return cmd_uts("domainname"); }
static int cmd_mounts(char **a) { return cat_file("/proc/self/mountinfo"); }
static int cmd_read(char **a) { return cat_file(a[0]); }

static int cmd_env(char **a)
{
    for (char **e = environ; *e; e++)
        printf("%s\n", *e);
    return 0;
}

static int cmd_umask(char **a)
{
    mode_t m = umask(0);
    umask(m);
    printf("umask=%04o\n", (unsigned)m);
    return 0;
}

static int cmd_exit(char **a)
{
    long code;
    if (parse_long(a[0], &code) || code < 0 || code > 255)
        return usage_error("exit: N must be 0..255");
    fflush(stdout);
    _exit((int)code);
}

/* sd_notify as a service does it: MESSAGE to $NOTIFY_SOCKET, one datagram. */
static int cmd_notify(char **a)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!path || strlen(path) >= sizeof addr.sun_path)
        return usage_error("notify: NOTIFY_SOCKET is not set or too long");
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("socket", path);
    if (sendto(fd, a[0], strlen(a[0]), 0, (struct sockaddr *)&addr, sizeof addr) < 0)
        return fail("sendto", path);
    close(fd);
    printf("notified=%s\n", a[0]);
    return 0;
}

static const char usage[] =
    "usage: probe <cmd> [args]\n"
    "  ns | ids | pid | ppid | cwd | env | hostname | domainname | umask | rlimits | fds\n"
    "  mounts | caps | oom | sched | ioprio | personality | timens | sysctl KEY\n"
    "  stat PATH | statfs PATH | read PATH | write PATH CONTENT | mknod-open PATH MAJ MIN\n"
    "  sleep SECONDS | exit N | trap [--keep] | kill-self N | zombies N | hog MIB | help\n"
    "  tty | ptrace-watch SECONDS MARKER\n"
    "  orphans N | zombies-count | term-worker SECONDS MARKER | setsid-sleeper SECONDS\n"
    "  sigstate | proc-access PID|self | notify MESSAGE\n"
    "Output is key=value lines; failures print `probe: op path: error` and exit 1.\n";

/* nargs -1: the command checks its own optional arguments. */
static const struct {
    const char *name;
    int nargs;
    int (*fn)(char **args);
} commands[] = {
    {"ns", 0, cmd_ns},           {"ids", 0, cmd_ids},
    {"pid", 0, cmd_pid},         {"ppid", 0, cmd_ppid},
    {"cwd", 0, cmd_cwd},         {"env", 0, cmd_env},
    {"hostname", 0, cmd_hostname}, {"domainname", 0, cmd_domainname},
    {"umask", 0, cmd_umask},     {"rlimits", 0, cmd_rlimits},
    {"fds", 0, cmd_fds},         {"mounts", 0, cmd_mounts},
    {"caps", 0, cmd_caps},       {"oom", 0, cmd_oom},
    {"sched", 0, cmd_sched},     {"ioprio", 0, cmd_ioprio},
    {"personality", 0, cmd_personality}, {"timens", 0, cmd_timens},
    {"sysctl", 1, cmd_sysctl},   {"stat", 1, cmd_stat},
    {"statfs", 1, cmd_statfs},   {"read", 1, cmd_read},
    {"write", 2, cmd_write},     {"mknod-open", 3, cmd_mknod_open},
    {"sleep", 1, cmd_sleep},     {"exit", 1, cmd_exit},
    {"trap", -1, cmd_trap},      {"kill-self", 1, cmd_kill_self},
    {"zombies", 1, cmd_zombies}, {"hog", 1, cmd_hog},
    {"tty", 0, cmd_tty},         {"ptrace-watch", 2, cmd_ptrace_watch},
    {"orphans", 1, cmd_orphans}, {"zombies-count", 0, cmd_zombies_count},
    {"term-worker", 2, cmd_term_worker}, {"setsid-sleeper", 1, cmd_setsid_sleeper},
    {"sigstate", 0, cmd_sigstate}, {"proc-access", 1, cmd_proc_access},
    {"notify", 1, cmd_notify},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        if (commands[i].nargs >= 0 && argc - 2 != commands[i].nargs)
            return usage_error("wrong number of arguments");
        int ret = commands[i].fn(argv + 2);
        if (fflush(stdout) != 0 && ret == 0)
            ret = fail("write", "stdout");
        return ret;
    }
    fprintf(stderr, "probe: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
