#include "common/syscalls.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace corral::sys {

pid_t clone3_fork(Clone3Args& args, bool* used_into_cgroup) {
    if (used_into_cgroup) *used_into_cgroup = (args.flags & CLONE_INTO_CGROUP) != 0;
    long r = syscall(SYS_clone3, &args, sizeof(args));
    if (r >= 0 || errno != ENOSYS) return static_cast<pid_t>(r);
    // Old kernel: clone(2) has no CLONE_INTO_CGROUP and takes the exit signal
    // in its low byte; the caller then writes cgroup.procs itself.
    if (used_into_cgroup) *used_into_cgroup = false;
    uint64_t flags = (args.flags & ~static_cast<uint64_t>(CLONE_INTO_CGROUP)) | args.exit_signal;
    int* pidfd_out = reinterpret_cast<int*>(args.pidfd);
    return static_cast<pid_t>(syscall(SYS_clone, flags, nullptr, pidfd_out, nullptr, 0));
}

int openat2(int dirfd, const char* path, const struct open_how* how) {
    return static_cast<int>(syscall(SYS_openat2, dirfd, path, how, sizeof(*how)));
}

int pidfd_open(pid_t pid) {
    return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int sig) {
    return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

int close_range_cloexec(unsigned first) {
    return static_cast<int>(syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC));
}

int pivot_root(const char* new_root, const char* put_old) {
    return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}

int sched_setattr_raw(pid_t pid, const void* attr) {
    return static_cast<int>(syscall(SYS_sched_setattr, pid, attr, 0));
}

int ioprio_set(int which, int who, int ioprio) {
    return static_cast<int>(syscall(SYS_ioprio_set, which, who, ioprio));
}

ssize_t send_with_fd(int sock, const void* data, size_t len, int fd) {
    iovec iov{const_cast<void*>(data), len};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0 || errno != EINTR) return n;
    }
}

int write_all(int fd, const void* buf, size_t len) {
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
    return 0;
}

ssize_t read_retry(int fd, void* buf, size_t len) {
    for (;;) {
        ssize_t n = ::read(fd, buf, len);
        if (n >= 0 || errno != EINTR) return n;
    }
}

uint64_t process_start_time(pid_t pid, char* state_out) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[1024];
    ssize_t n = read_retry(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    // comm may contain spaces and parentheses: fields restart after the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p || p[1] == '\0') return 0;
    p += 2; // field 3: state
    if (state_out) *state_out = *p;
    for (int field = 3; field < 22; ++field) {
        p = std::strchr(p, ' ');
        if (!p) return 0;
        ++p;
    }
    return std::strtoull(p, nullptr, 10);
}

} // namespace corral::sys
