#include "seccomp/load.hpp"

#include "common/child_error.hpp"

#include <cerrno>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::seccomp {

namespace {

// From <linux/seccomp.h>, repeated for older headers.
constexpr unsigned int kFlagTsync = 1u << 0;
constexpr unsigned int kFlagNewListener = 1u << 3;
constexpr unsigned int kFlagTsyncEsrch = 1u << 4;

} // namespace

bool load_seccomp(const SeccompProgram& program, int* listener_fd) {
    if (listener_fd != nullptr) *listener_fd = -1;
    // compile_seccomp never produces these; a default-constructed program
    // reaching here is a caller bug, refused rather than loaded as nothing.
    if (program.filter.empty() || program.filter.size() > 0xffff)
        return child_fail(EINVAL, "load seccomp filter", "empty or oversized program");
    unsigned int flags = program.flags;
    if (program.needs_notify_listener) {
        if (listener_fd == nullptr)
            return child_fail(EINVAL, "load seccomp filter", "notify rules need a listener");
        flags |= kFlagNewListener;
        // TSYNC alone makes seccomp(2) return a thread id on failure, which
        // would collide with the listener fd; TSYNC_ESRCH avoids that.
        if ((flags & kFlagTsync) != 0) flags |= kFlagTsyncEsrch;
    }
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(program.filter.size());
    // The kernel copies the program; it never writes through this pointer.
    prog.filter = const_cast<sock_filter*>(program.filter.data());
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (rc < 0) return child_fail(errno, "load seccomp filter");
    if (program.needs_notify_listener) *listener_fd = static_cast<int>(rc);
    return true;
}

} // namespace corral::seccomp
