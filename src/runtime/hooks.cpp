#include "runtime/hooks.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "common/signals.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::runtime {

namespace {

constexpr size_t kKeepOutput = 4096;

// What the child reports over the status pipe when it cannot become the
// hook; an empty read means execve succeeded (the pipe is O_CLOEXEC).
struct ChildReport {
    int stage; // kStageStdio or kStageExec
    int err;
};
constexpr int kStageStdio = 1;
constexpr int kStageExec = 2;

// Keeps the last kKeepOutput bytes: a failing hook usually explains itself at
// the end. Fixed storage, so nothing allocates while the hook runs.
struct OutputTail {
    char buf[kKeepOutput];
    size_t len = 0;
    bool truncated = false;

    void append(const char* p, size_t n) {
        if (n >= kKeepOutput) {
            truncated = truncated || len > 0 || n > kKeepOutput;
            std::memcpy(buf, p + (n - kKeepOutput), kKeepOutput);
            len = kKeepOutput;
            return;
        }
        if (len + n > kKeepOutput) {
            const size_t drop = len + n - kKeepOutput;
            std::memmove(buf, buf + drop, len - drop);
            len -= drop;
            truncated = true;
        }
        std::memcpy(buf + len, p, n);
        len += n;
    }

    std::string text() const {
        size_t b = 0, e = len;
        auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
        while (b < e && space(buf[b]))
            ++b;
        while (e > b && space(buf[e - 1]))
            --e;
        std::string s(buf + b, e - b);
        if (truncated && !s.empty()) s.insert(0, "...");
        return s;
    }
};

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The forked side: async-signal-safe calls only, since the parent may have
// had other threads holding libc locks at fork time.
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, int in_fd,
                             int out_fd, int report_fd) noexcept {
    // Handlers would be reset by execve anyway, but ignored signals and the
    // blocked mask survive it; the hook deserves a clean slate (a SIGPIPE or
    // SIGCHLD left ignored changes how shell scripts behave).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int s = 1; s < NSIG; ++s)
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    // Its own group, so a timeout can kill the hook and whatever it spawned.
    setpgid(0, 0);

    // Any of our fds may sit at 0..2 when the caller runs with closed stdio;
    // lift them all above 2 before dup2 overwrites the standard slots.
    int rep = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
    if (rep < 0) rep = report_fd;
    ChildReport r{kStageStdio, 0};
    const int in2 = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
    const int out2 = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
    if (in2 < 0 || out2 < 0 || dup2(in2, 0) < 0 || dup2(out2, 1) < 0 || dup2(out2, 2) < 0) {
        r.err = errno;
    } else {
        // Keep fds the caller forgot to mark close-on-exec out of the hook;
        // failure (old kernel) only means we rely on the caller's discipline.
        sys::close_range_cloexec(3);
        execve(path, argv, envp);
        r = {kStageExec, errno};
    }
    (void)sys::write_all(rep, &r, sizeof r);
    _exit(127);
}

// Parent-side bookkeeping of one run, filled without allocating.
struct RunOutcome {
    bool timed_out = false;
    int loop_err = 0; // errno of a failed poll, 0 when none
    int wait_err = 0; // errno of a failed waitpid, 0 when none
    int status = 0;   // waitpid status
};

void drain(int fd, OutputTail& out, bool* eof) {
    char chunk[8192];
    // Bounded: a leftover grandchild could keep writing forever.
    for (int i = 0; i < 128; ++i) {
        const ssize_t n = sys::read_retry(fd, chunk, sizeof chunk);
        if (n > 0) {
            out.append(chunk, static_cast<size_t>(n));
            continue;
        }
        if (n == 0 || errno != EAGAIN) *eof = true;
        return;
    }
}

// Feeds stdin, collects output and waits for exit or the deadline. Returns
// with the hook still unreaped.
void supervise(pid_t pid, int pidfd, UniqueFd& in_w, UniqueFd& out_r, std::string_view input,
               int64_t deadline_ms, OutputTail& out, RunOutcome& res) {
    // A hook may exit without reading its stdin; the write then raises
    // SIGPIPE, which by default would kill us. Block it on this thread for
    // the duration and swallow only the instance we caused, leaving the
    // process's disposition and any earlier pending SIGPIPE untouched.
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigemptyset(&pending);
    sigpending(&pending);
    const bool pipe_pending_before = sigismember(&pending, SIGPIPE) == 1;
    bool raised_pipe = false;

    size_t written = 0;
    if (input.empty()) in_w.reset();
    bool exited = false;
    while (!exited) {
        pollfd pfd[3];
        nfds_t n = 0;
        pfd[n++] = {pidfd, POLLIN, 0};
        const int out_idx = out_r ? static_cast<int>(n) : -1;
        if (out_r) pfd[n++] = {out_r.get(), POLLIN, 0};
        const int in_idx = in_w ? static_cast<int>(n) : -1;
        if (in_w) pfd[n++] = {in_w.get(), POLLOUT, 0};

        int wait_ms = -1;
        if (deadline_ms >= 0) {
            const int64_t left = deadline_ms - now_ms();
            if (left <= 0) {
                res.timed_out = true;
                break;
            }
            wait_ms = left > INT_MAX ? INT_MAX : static_cast<int>(left);
        }
        const int r = ::poll(pfd, n, wait_ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            res.loop_err = errno;
            break;
        }
        if (r == 0) continue; // the deadline check above decides

        if (out_idx >= 0 && pfd[out_idx].revents) {
            bool eof = false;
            drain(out_r.get(), out, &eof);
            if (eof) out_r.reset();
        }
        if (in_idx >= 0 && pfd[in_idx].revents) {
            const ssize_t w = ::write(in_w.get(), input.data() + written, input.size() - written);
            if (w > 0) written += static_cast<size_t>(w);
            if (w < 0 && errno == EPIPE) raised_pipe = true;
            // Not reading its stdin is the hook's right, not an error.
            if (written == input.size() || (w < 0 && errno != EAGAIN && errno != EINTR))
                in_w.reset();
        }
        // Stop at exit, not at EOF: a daemon the hook left behind may hold
        // the output pipe open indefinitely.
        if (pfd[0].revents) exited = true;
    }

    if (res.timed_out || res.loop_err) {
        // The unreaped leader pins its pid, so the group id cannot have been
        // recycled and this kill reaches only the hook's own processes.
        sys::pidfd_send_signal(pidfd, SIGKILL);
        ::kill(-pid, SIGKILL);
    }
    in_w.reset();
    if (out_r) {
        bool eof = false;
        drain(out_r.get(), out, &eof);
        out_r.reset();
    }

    if (raised_pipe && !pipe_pending_before) {
        const timespec zero{};
        sigtimedwait(&pipe_set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
}

pid_t reap(pid_t pid, int* status) {
    for (;;) {
        const pid_t r = ::waitpid(pid, status, 0);
        if (r >= 0 || errno != EINTR) return r;
    }
}

bool set_nonblocking(int fd) {
    const int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

Status run_hook_impl(const spec::Hook& hook, std::string_view state_json, const char* kind) {
    const std::string op = std::string(kind ? kind : "") + (kind && *kind ? " hook" : "hook");
    auto fail = [&](int err, const std::string& why) {
        return Error{err, op, hook.path + (why.empty() ? "" : ": " + why)};
    };
    if (hook.path.empty()) return plain_error(op, "with an empty path");
    if (hook.timeout && *hook.timeout <= 0)
        return fail(0, "invalid timeout " + std::to_string(*hook.timeout));

    // Everything the child needs is built here: after fork it must not
    // allocate.
    std::vector<char*> argv, envp;
    argv.reserve(hook.args.size() + 2);
    envp.reserve(hook.env.size() + 1);
    if (hook.args.empty()) argv.push_back(const_cast<char*>(hook.path.c_str()));
    for (const auto& a : hook.args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : hook.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return fail(errno, "create stdin pipe");
    UniqueFd in_r(p[0]), in_w(p[1]);
    if (::pipe2(p, O_CLOEXEC) < 0) return fail(errno, "create output pipe");
    UniqueFd out_r(p[0]), out_w(p[1]);
    if (::pipe2(p, O_CLOEXEC) < 0) return fail(errno, "create status pipe");
    UniqueFd rep_r(p[0]), rep_w(p[1]);
    // Only our ends: the hook keeps ordinary blocking stdio.
    if (!set_nonblocking(in_w.get()) || !set_nonblocking(out_r.get()))
        return fail(errno, "set pipe non-blocking");

    const int64_t deadline_ms = hook.timeout ? now_ms() + int64_t{*hook.timeout} * 1000 : -1;
    const pid_t pid = ::fork();
    if (pid < 0) return fail(errno, "fork");
    if (pid == 0)
        exec_child(hook.path.c_str(), argv.data(), envp.data(), in_r.get(), out_w.get(),
                   rep_w.get());

    // From here until the hook is reaped nothing may throw or return early.
    in_r.reset();
    out_w.reset();
    rep_w.reset();

    ChildReport report{0, 0};
    const ssize_t got = sys::read_retry(rep_r.get(), &report, sizeof report);
    rep_r.reset();
    if (got != 0) {
        int status = 0;
        const int read_err = got < 0 ? errno : 0;
        if (got < 0) ::kill(pid, SIGKILL);
        reap(pid, &status);
        if (got < 0) return fail(read_err, "read exec status");
        if (report.stage == kStageStdio) return fail(report.err, "set up stdio");
        return fail(report.err, "exec");
    }

    UniqueFd pidfd(sys::pidfd_open(pid));
    if (!pidfd) {
        const int err = errno;
        ::kill(pid, SIGKILL);
        int status = 0;
        reap(pid, &status);
        return fail(err, "pidfd_open");
    }

    OutputTail out;
    RunOutcome res;
    supervise(pid, pidfd.get(), in_w, out_r, state_json, deadline_ms, out, res);
    if (reap(pid, &res.status) < 0) res.wait_err = errno;

    std::string why;
    if (res.loop_err) return fail(res.loop_err, "poll");
    if (res.wait_err) return fail(res.wait_err, "wait");
    if (res.timed_out) {
        why = "timed out after " + std::to_string(*hook.timeout) + "s";
    } else if (WIFEXITED(res.status)) {
        if (WEXITSTATUS(res.status) == 0) return {};
        why = "exited with status " + std::to_string(WEXITSTATUS(res.status));
    } else if (WIFSIGNALED(res.status)) {
        const char* name = signal_name(WTERMSIG(res.status));
        why =
            "killed by signal " + (name ? std::string(name) : std::to_string(WTERMSIG(res.status)));
    } else {
        why = "ended with wait status " + std::to_string(res.status);
    }
    const std::string text = out.text();
    if (!text.empty()) why += ": " + text;
    return fail(0, why);
}

} // namespace

Status run_hook(const spec::Hook& hook, std::string_view state_json, const char* kind) noexcept {
    try {
        return run_hook_impl(hook, state_json, kind);
    } catch (...) {
        // Only allocation can throw, and only before fork or after reaping.
        return plain_error(std::string(kind ? kind : "") + " hook", hook.path + ": out of memory");
    }
}

Status run_hooks(const std::vector<spec::Hook>& hooks, std::string_view state_json,
                 const char* kind) noexcept {
    for (const auto& h : hooks) {
        Status st = run_hook(h, state_json, kind);
        if (!st.ok()) return st;
    }
    return {};
}

} // namespace corral::runtime
