/*
 * corral-init: the in-container PID 1 (`corral create|run --init`, annotation org.corral.init).
 *
 * A small static program, embedded in corral and run by the container's init from a sealed
 * memfd (src/runtime/init_blob.hpp), so /proc/1/exe can never be written and never names a
 * host file. The container's process configuration (user, capabilities, seccomp,
 * no_new_privs, rlimits, env, cwd) is already in force when it starts.
 *
 *   corral-init GRACE_MS FLAGS EXE ARGV0 [ARGS...]
 *
 * FLAGS: "-" or letters: g = signals go to the command's process group, t = the command
 * becomes the terminal's foreground process group.
 *
 * It forks EXE as the command (pid 2), reaps every child it has (the command and the orphans
 * of the whole pid namespace) from a signalfd, forwards every signal it receives to the
 * command, and when the command exits sends SIGTERM to everything left in the namespace,
 * keeps reaping for up to GRACE_MS, SIGKILLs the rest and exits with the command's status
 * (128+N when it was killed by signal N).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED 256

static pid_t command;
static int group_mode;
/* Signals that arrive before the command's execve wait here: delivered to a forked child
 * that still runs our code they would act on a process that is not the command yet. */
static int queued[MAX_QUEUED];
static int nqueued;

static void say(const char* what, const char* detail) {
    char line[512];
    int n = snprintf(line, sizeof line, "corral-init: %s%s%s%s%s\n", what, detail ? " " : "",
                     detail ? detail : "", errno ? ": " : "", errno ? strerror(errno) : "");
    if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {
    }
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void forward(int sig) {
    if (kill(group_mode ? -command : command, sig) < 0 && errno != ESRCH) {
        int saved = errno;
        char name[16];
        snprintf(name, sizeof name, "%d", sig);
        errno = saved;
        say("forward signal", name);
    }
}

/* The command, from the fork to its execve: default dispositions, an empty mask, and the
 * terminal's foreground when asked. Runs our code only until execve. */
static void start_command(char* exe, char** argv, char** envp, int terminal) {
    if (terminal || group_mode) {
        setpgid(0, 0);
        /* Blocked SIGTTOU lets a background group take the terminal. */
        if (terminal && tcsetpgrp(0, getpid()) < 0)
            say("make the command the terminal's foreground group", NULL);
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(exe, argv, envp);
    say("exec", exe);
    _exit(127);
}

static int status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

/* Reaps every child that has exited; returns 1 when the command was among them. */
static int reap(int* command_status) {
    int found = 0, st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == command) {
            *command_status = st;
            found = 1;
        }
    }
    return found;
}

/* Nothing else left in the pid namespace: kill(-1) from its init reaches every other process
 * it may signal, and fails with ESRCH when there is none. */
static int namespace_empty(void) {
    return kill(-1, 0) < 0 && errno == ESRCH;
}

int main(int argc, char** argv, char** envp) {
    /* No process of the container may ptrace us or open our /proc files. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NAME, "corral-init", 0, 0, 0);
    /* kill(-1) below reaches every process the caller may signal: only as the init of a pid
     * namespace of its own is that "everything left in the container". Anywhere else (the
     * program run by hand, a config without a pid namespace) it would be the host. */
    if (getpid() != 1) {
        errno = 0;
        say("refusing to run: corral-init must be PID 1 of a new pid namespace", NULL);
        return 2;
    }
    if (argc < 5) {
        errno = 0;
        say("usage: corral-init GRACE_MS FLAGS EXE ARGV0 [ARGS...]", NULL);
        return 2;
    }
    long grace = strtol(argv[1], NULL, 10);
    if (grace < 0) grace = 0;
    group_mode = strchr(argv[2], 'g') != NULL;
    int terminal = strchr(argv[2], 't') != NULL;

    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) < 0) {
        say("pipe", NULL);
        return 1;
    }
    command = fork();
    if (command < 0) {
        say("fork", NULL);
        return 1;
    }
    if (command == 0) {
        close(exec_pipe[0]);
        start_command(argv[3], argv + 4, envp, terminal);
    }
    if (terminal || group_mode) setpgid(command, command);
    close(exec_pipe[1]);
    /* The caller's fds (--preserve-fds, LISTEN_FDS) are the command's: holding them here
     * would keep a pipe open after the command closed it. */
    int keep = exec_pipe[0];
    if (keep > 3) syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U);
    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
    int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        say("signalfd", NULL);
        return 1;
    }

    /* Fault-around maps the static binary 64 KiB at a time, so start-up leaves most of it
     * resident although the loop below runs from a few pages: drop the text mappings (the
     * pages stay in the page cache) and let the loop fault back what it uses. Halves PID 1's
     * resident set (measured: 704 -> 344 kB). */
    extern char __executable_start[], etext[];
    uintptr_t text = (uintptr_t)__executable_start & ~(uintptr_t)4095;
    madvise((void *)text, (size_t)((uintptr_t)etext - text), MADV_DONTNEED);
    int execed = 0, exited = 0, status = 0;
    long deadline = 0;
    for (;;) {
        struct pollfd fds[2] = {{sfd, POLLIN, 0}, {exec_pipe[0], POLLIN, 0}};
        int timeout = -1;
        if (exited) {
            long left = deadline - now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        int r = poll(fds, execed ? 1 : 2, timeout);
        if (r < 0 && errno != EINTR) {
            say("poll", NULL);
            return 1;
        }
        if (!execed && r > 0 && fds[1].revents) {
            /* EOF: the command replaced our image (or died trying). */
            char c;
            if (read(exec_pipe[0], &c, 1) <= 0) {
                execed = 1;
                close(exec_pipe[0]);
                for (int i = 0; i < nqueued; i++)
                    forward(queued[i]);
                nqueued = 0;
            }
        }
        struct signalfd_siginfo si[16];
        ssize_t n;
        while ((n = read(sfd, si, sizeof si)) > 0) {
            for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
                int sig = (int)si[i].ssi_signo;
                /* A child's exit is ours to reap; a SIGCHLD someone sent is forwarded. */
                if (sig == SIGCHLD && si[i].ssi_code > 0) continue;
                if (exited) continue;
                if (!execed) {
                    if (nqueued < MAX_QUEUED) queued[nqueued++] = sig;
                } else {
                    forward(sig);
                }
            }
        }
        if (!exited && reap(&status)) {
            exited = 1;
            deadline = now_ms() + grace;
            /* Everything the command left behind, setsid'd or not, gets its chance to clean
             * up; stopped processes are continued so they can act on it. */
            kill(-1, SIGTERM);
            kill(-1, SIGCONT);
        } else if (exited) {
            reap(&status);
        }
        if (exited) {
            if (namespace_empty()) break;
            if (now_ms() >= deadline) {
                kill(-1, SIGKILL);
                while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
                }
                break;
            }
        }
    }
    return status_code(status);
}
