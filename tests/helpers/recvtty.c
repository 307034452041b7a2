/*
 * corral-recvtty: the receiving end of a console socket (--console-socket), for terminal.bats.
 * Like runc's contrib/cmd/recvtty: it listens on an AF_UNIX SOCK_STREAM socket, accepts one
 * connection and receives one message carrying the pty master with SCM_RIGHTS; the payload is
 * the master's name.
 *
 *   corral-recvtty [--mode null|single|record FILE] [--pid-file F] [--stdin] [--no-consume]
 *                  SOCKETPATH
 *
 * SOCKETPATH is unlinked and bound; --pid-file F is written (atomically) once it listens, so a
 * test knows when the runtime may connect. On stdout, once the message is in:
 *
 *   name=<payload>        the payload, as sent
 *   fds=N                 how many descriptors came with it (the first is used)
 *   fd_is_tty=1|0         isatty() on it
 *   ptsname=/dev/pts/N    TIOCGPTN on the master: the slave's number in the container's devpts
 *   fd_flags=rw|ro|wo     its access mode
 *
 * Then, by --mode: null (the default) reads and discards the master's output; record FILE
 * appends it to FILE (written as it arrives); single copies it to stdout. Each ends when the
 * master reports EIO or EOF (every slave descriptor closed: the container's processes are gone)
 * and then prints `eof=1` on stdout (stderr in single mode) and exits 0. With --stdin, what
 * arrives on stdin is written to the master as well (until stdin's EOF). With --no-consume the
 * master is never read: it is held open until SIGTERM or SIGINT (or stdin's EOF with --stdin),
 * then closed; exits 0. SIGTERM or SIGINT also ends the other modes (exit 0, no eof= line);
 * before a connection they make it exit 1.
 *
 * Exit status: 0 as above; 1 on any error (a message without a descriptor, a failed syscall),
 * with one line `corral-recvtty: ...` on stderr; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define MAX_FDS 16

static int die(const char* fmt, ...) {
    int e = errno;
    va_list ap;
    fflush(stdout);
    fputs("corral-recvtty: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (e) fprintf(stderr, ": %s", strerror(e));
    fputc('\n', stderr);
    exit(1);
}

static int usage(const char* msg) {
    fprintf(stderr,
            "corral-recvtty: %s\n"
            "usage: corral-recvtty [--mode null|single|record FILE] [--pid-file F] [--stdin]\n"
            "                      [--no-consume] SOCKETPATH\n",
            msg);
    return 2;
}

static void write_all(int fd, const char* buf, size_t len, const char* what) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("write %s", what);
        buf += n;
        len -= (size_t)n;
    }
}

static void write_pid_file(const char* path) {
    char tmp[4096], buf[32];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        die("pid file %s", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("open %s", tmp);
    int len = snprintf(buf, sizeof buf, "%d", (int)getpid());
    write_all(fd, buf, (size_t)len, tmp);
    if (close(fd) < 0) die("close %s", tmp);
    if (rename(tmp, path) < 0) die("rename %s to %s", tmp, path);
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char** argv) {
    const char *mode = "null", *record = NULL, *pid_file = NULL, *sock_path = NULL;
    int use_stdin = 0, no_consume = 0;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        if (!strcmp(a, "--mode")) {
            if (++i >= argc) return usage("--mode needs a value");
            mode = argv[i];
            if (!strcmp(mode, "record")) {
                if (++i >= argc) return usage("--mode record needs a FILE");
                record = argv[i];
            } else if (strcmp(mode, "null") && strcmp(mode, "single")) {
                return usage("--mode is null, single or record FILE");
            }
        } else if (!strcmp(a, "--pid-file")) {
            if (++i >= argc) return usage("--pid-file needs a value");
            pid_file = argv[i];
        } else if (!strcmp(a, "--stdin")) {
            use_stdin = 1;
        } else if (!strcmp(a, "--no-consume")) {
            no_consume = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage("receives a pty master from a console socket");
            return 0;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option");
        } else if (sock_path) {
            return usage("only one SOCKETPATH");
        } else {
            sock_path = a;
        }
    }
    if (!sock_path) return usage("missing SOCKETPATH");

    /* A runtime that dies mid-copy must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Blocked except inside ppoll, so a stop request is never lost between check and wait. */
    sigset_t stops, waitmask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);

    int record_fd = -1;
    if (record) {
        record_fd = open(record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (record_fd < 0) die("open %s", record);
    }

    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(sock_path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        die("socket path %s", sock_path);
    }
    strcpy(addr.sun_path, sock_path);
    if (unlink(sock_path) < 0 && errno != ENOENT) die("unlink %s", sock_path);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0) die("socket");
    if (bind(ls, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind %s", sock_path);
    if (listen(ls, 1) < 0) die("listen %s", sock_path);
    if (pid_file) write_pid_file(pid_file);

    for (;;) {
        if (stop_requested) {
            errno = 0;
            die("stopped before a runtime connected to %s", sock_path);
        }
        struct pollfd lp = {ls, POLLIN, 0};
        if (ppoll(&lp, 1, NULL, &waitmask) < 0 && errno != EINTR) die("poll %s", sock_path);
        if (lp.revents) break;
    }
    int conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) die("accept on %s", sock_path);
    close(ls);
    unlink(sock_path);

    char payload[4097];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {payload, sizeof payload - 1};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n;
    do
        n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) die("recvmsg");
    payload[n] = 0;
    if (msg.msg_flags & MSG_CTRUNC) {
        errno = 0;
        die("control data truncated (more than %d descriptors?)", MAX_FDS);
    }

    int fds[MAX_FDS], nfds = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int j = 0; j < k && nfds < MAX_FDS; j++)
            memcpy(&fds[nfds++], CMSG_DATA(c) + j * sizeof(int), sizeof(int));
    }
    printf("name=%s\nfds=%d\n", payload, nfds);
    fflush(stdout);
    if (nfds == 0) {
        errno = 0;
        die("the message (%zd bytes, payload '%s') carried no file descriptor", n, payload);
    }
    close(conn);
    int master = fds[0];
    for (int j = 1; j < nfds; j++)
        close(fds[j]);

    printf("fd_is_tty=%d\n", isatty(master) ? 1 : 0);
    unsigned int ptn;
    if (ioctl(master, TIOCGPTN, &ptn) == 0)
        printf("ptsname=/dev/pts/%u\n", ptn);
    else
        printf("ptsname=none\n");
    int fl = fcntl(master, F_GETFL);
    printf("fd_flags=%s\n", fl < 0                         ? "?"
                            : (fl & O_ACCMODE) == O_RDWR   ? "rw"
                            : (fl & O_ACCMODE) == O_RDONLY ? "ro"
                                                           : "wo");
    fflush(stdout);

    int in_open = use_stdin;
    FILE* eof_out = strcmp(mode, "single") ? stdout : stderr;
    char buf[65536];
    for (;;) {
        if (stop_requested) break;
        /* The master is polled only when consumed: held, its hangup would be reported forever. */
        struct pollfd p[2];
        int np = 0, im = -1, ii = -1;
        if (!no_consume) {
            im = np;
            p[np++] = (struct pollfd){master, POLLIN, 0};
        }
        if (in_open) {
            ii = np;
            p[np++] = (struct pollfd){0, POLLIN, 0};
        }
        int r = ppoll(np ? p : NULL, (nfds_t)np, NULL, &waitmask);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("poll");
        if (ii >= 0 && p[ii].revents) {
            ssize_t k = read(0, buf, sizeof buf);
            if (k < 0 && errno != EINTR) die("read stdin");
            if (k == 0) {
                in_open = 0;
                if (no_consume) break;
            } else if (k > 0) {
                write_all(master, buf, (size_t)k, "to the master");
            }
        }
        if (im < 0 || !p[im].revents) continue;
        ssize_t k = read(master, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0 || (k < 0 && errno == EIO)) {
            fprintf(eof_out, "eof=1\n");
            break;
        }
        if (k < 0) die("read master");
        if (record_fd >= 0)
            write_all(record_fd, buf, (size_t)k, record);
        else if (!strcmp(mode, "single"))
            write_all(1, buf, (size_t)k, "stdout");
    }
    close(master);
    if (record_fd >= 0 && close(record_fd) < 0) die("close %s", record);
    return 0;
}
