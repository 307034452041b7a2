#include "runtime/console.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unix_socket.hpp"
#include "runtime/sync.hpp"

namespace corral::runtime {

namespace {

// A bind of the slave, by fd, over a /dev/console this function creates as a
// plain file: never a path re-resolved after the container could change it,
// and never through a symlink the image planted.
bool bind_dev_console(int slave) {
    int made = ::open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (made >= 0)
        ::close(made);
    else if (errno != EEXIST)
        return child_fail(errno, "create", "/dev/console");
    int target = ::open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0) return child_fail(errno, "open", "/dev/console");
    struct stat st {};
    if (fstat(target, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
        ::close(target);
        return child_fail(ELOOP, "bind pty over", "/dev/console (a symlink or directory)");
    }
    int tree = ::open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0) {
        int e = errno;
        ::close(target);
        return child_fail(e, "clone pty mount for", "/dev/console");
    }
    int rc = ::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    ::close(tree);
    ::close(target);
    if (rc < 0) return child_fail(e, "bind pty over", "/dev/console");
    return true;
}

} // namespace

ConsolePlan console_plan(const spec::Process& p, bool bind) {
    ConsolePlan c;
    c.enabled = p.terminal;
    c.bind_dev_console = bind;
    if (p.console_size) {
        // winsize holds 16 bits; a larger size is the largest the kernel takes.
        c.rows = static_cast<unsigned short>(std::min<uint32_t>(p.console_size->height, 65535));
        c.cols = static_cast<unsigned short>(std::min<uint32_t>(p.console_size->width, 65535));
    }
    return c;
}

bool setup_console(const ConsolePlan& plan, uid_t owner, int sync_fd) {
    int master = ::open(kPtmxPath, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return child_fail(errno, "open", kPtmxPath);
    int unlock = 0;
    int n = -1;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) {
        int e = errno;
        ::close(master);
        return child_fail(e, "unlock pty", kPtmxPath);
    }
    // TIOCGPTPEER opens the slave belonging to this master without a path
    // lookup, so a symlink in /dev/pts cannot substitute another terminal.
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        int e = errno;
        ::close(master);
        char name[32];
        std::snprintf(name, sizeof name, "/dev/pts/%d", n);
        return child_fail(e, "open pty slave", name);
    }
    bool ok = true;
    if (plan.rows && plan.cols) {
        winsize ws{plan.rows, plan.cols, 0, 0};
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0) ok = child_fail(errno, "set console size");
    }
    // An unmapped owner (EINVAL) or a read-only devpts (EPERM) leaves the
    // slave as the kernel made it, as runc does.
    if (ok && owner != 0 && fchown(slave, owner, static_cast<gid_t>(-1)) < 0 && errno != EINVAL &&
        errno != EPERM)
        ok = child_fail(errno, "chown pty slave");
    if (ok && plan.bind_dev_console) ok = bind_dev_console(slave);
    if (ok && send_frame_fd(sync_fd, Msg::ConsoleFd, master) < 0)
        ok = child_fail(errno, "send pty master");
    ::close(master);
    if (ok && ioctl(slave, TIOCSCTTY, 0) < 0) ok = child_fail(errno, "set controlling terminal");
    for (int fd = 0; ok && fd < 3; ++fd)
        if (dup2(slave, fd) < 0) ok = child_fail(errno, "dup pty slave to stdio");
    ::close(slave);
    return ok;
}

Status check_console_request(bool terminal, bool detached, const std::string& console_socket) {
    if (terminal && detached && console_socket.empty())
        return plain_error("process.terminal:",
                           "a detached container with a terminal needs --console-socket");
    if (!console_socket.empty() && (!terminal || !detached))
        return plain_error("--console-socket:",
                           terminal ? "only used when detached (create, run -d, exec -d)"
                                    : "only used with a terminal (process.terminal or exec -t)");
    return {};
}

void copy_window_size(int master) {
    winsize ws{};
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

Status deliver_console_master(UniqueFd& master, int console_sock) {
    if (!master) return plain_error("sync protocol:", "console-fd without an fd");
    if (console_sock < 0) {
        copy_window_size(master.get());
        return {};
    }
    auto sent = send_fd_message(console_sock, kPtmxPath, master.get(), "console socket");
    master.reset();
    return sent;
}

} // namespace corral::runtime
