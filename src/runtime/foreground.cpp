#include "runtime/foreground.hpp"

#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"
#include "runtime/console.hpp"

namespace corral::runtime {

namespace {

int exit_code_of(const siginfo_t& info) {
    if (info.si_code == CLD_EXITED) return info.si_status;
    return 128 + info.si_status;
}

// Our terminal in raw mode for as long as the relay lives: the container's
// pty does the line discipline (echo, ^C), ours must pass bytes through.
class RawTerminal {
public:
    explicit RawTerminal(int fd)
        : fd_(fd) {
        if (!isatty(fd) || tcgetattr(fd, &saved_) < 0) return;
        termios raw = saved_;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
    }
    ~RawTerminal() {
        if (active_) tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

// Copies stdin → master and master → stdout without ever blocking the loop
// on the container: input the pty cannot take yet waits in `pending_`.
class TtyRelay {
public:
    explicit TtyRelay(int master)
        : master_(master)
        , raw_(STDIN_FILENO) {
        int fl = fcntl(master, F_GETFL);
        if (fl >= 0) fcntl(master, F_SETFL, fl | O_NONBLOCK);
        resize();
    }
    void resize() { copy_window_size(master_); }
    // Fills the relay's poll entries; returns how many it used.
    int arm(pollfd* p) {
        int n = 0;
        if (master_open_) {
            short ev = POLLIN | (pending_.empty() ? 0 : POLLOUT);
            p[n++] = {master_, ev, 0};
        }
        if (stdin_open_ && pending_.empty()) p[n++] = {STDIN_FILENO, POLLIN, 0};
        return n;
    }
    void handle(const pollfd* p, int n) {
        for (int i = 0; i < n; ++i) {
            if (!p[i].revents) continue;
            if (p[i].fd == master_) {
                if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) drain_output();
                if (p[i].revents & POLLOUT) flush_input();
            } else {
                read_input();
            }
        }
    }
    // The process is gone: what it wrote before exiting still reaches us.
    void finish() {
        if (master_open_) drain_output();
    }

private:
    void drain_output() {
        char buf[16384];
        for (;;) {
            ssize_t n = ::read(master_, buf, sizeof buf);
            if (n > 0) {
                if (sys::write_all(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) return;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            // EIO: every slave fd is closed; EAGAIN: nothing more for now.
            if (n == 0 || errno != EAGAIN) master_open_ = false;
            return;
        }
    }
    void read_input() {
        char buf[4096];
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (n <= 0) {
            stdin_open_ = false;
            return;
        }
        pending_.append(buf, static_cast<size_t>(n));
        flush_input();
    }
    void flush_input() {
        while (!pending_.empty()) {
            ssize_t n = ::write(master_, pending_.data(), pending_.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                if (errno != EAGAIN) pending_.clear();
                return;
            }
            pending_.erase(0, static_cast<size_t>(n));
        }
    }

    int master_;
    RawTerminal raw_;
    std::string pending_;
    bool master_open_ = true, stdin_open_ = true;
};

} // namespace

sigset_t forwarded_signals() {
    sigset_t set;
    sigfillset(&set);
    // Synchronous faults must stay deliverable to corral itself.
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, SIGKILL, SIGSTOP})
        sigdelset(&set, s);
    return set;
}

Result<int> wait_foreground(int pidfd, const sigset_t& forwarded, int master) {
    UniqueFd sfd(signalfd(-1, &forwarded, SFD_CLOEXEC));
    if (!sfd) return sys_error("signalfd");
    std::optional<TtyRelay> relay;
    if (master >= 0) relay.emplace(master);
    for (;;) {
        pollfd fds[4] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        int n = 2 + (relay ? relay->arm(fds + 2) : 0);
        int r = poll(fds, static_cast<nfds_t>(n), -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sys_error("poll");
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (sys::read_retry(sfd.get(), &si, sizeof si) == sizeof si) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGWINCH && relay) {
                    relay->resize();
                } else if (sig != SIGCHLD && sys::pidfd_send_signal(pidfd, sig) < 0 &&
                           errno != ESRCH) {
                    log::warn("forward signal " + std::to_string(sig) + ": " +
                              sys_error("").message());
                }
            }
        }
        if (relay) relay->handle(fds + 2, n - 2);
        if (fds[0].revents & POLLIN) {
            siginfo_t info{};
            if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) <
                0)
                return sys_error("wait for container process");
            if (relay) relay->finish();
            return exit_code_of(info);
        }
    }
}

} // namespace corral::runtime
