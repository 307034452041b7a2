// Thin wrappers for syscalls glibc 2.36 lacks or wraps awkwardly. Each returns
// -1 with errno set, exactly like the raw syscall, so they are safe to call in
// the container child after clone (no allocation, no exceptions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/openat2.h>
#include <sys/types.h>

namespace corral::sys {

struct Clone3Args {
    uint64_t flags = 0;
    uint64_t pidfd = 0;
    uint64_t child_tid = 0;
    uint64_t parent_tid = 0;
    uint64_t exit_signal = 0;
    uint64_t stack = 0;
    uint64_t stack_size = 0;
    uint64_t tls = 0;
    uint64_t set_tid = 0;
    uint64_t set_tid_size = 0;
    uint64_t cgroup = 0;
};

// fork-like clone3: returns 0 in the child, the child's pid in the parent.
// Falls back to clone(2) without CLONE_INTO_CGROUP when clone3 is ENOSYS;
// *used_into_cgroup tells the caller whether the cgroup placement happened.
pid_t clone3_fork(Clone3Args& args, bool* used_into_cgroup);

int openat2(int dirfd, const char* path, const struct open_how* how);
int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
int close_range_cloexec(unsigned first);
int pivot_root(const char* new_root, const char* put_old);
int sched_setattr_raw(pid_t pid, const void* attr);
int ioprio_set(int which, int who, int ioprio);

// One sendmsg of `len` bytes carrying `fd` with SCM_RIGHTS (MSG_NOSIGNAL,
// EINTR retried). Returns the bytes sent or -1 with errno. Child-safe.
ssize_t send_with_fd(int sock, const void* data, size_t len, int fd);

// EINTR-safe whole-buffer I/O. Return 0 on success, -1 with errno.
int write_all(int fd, const void* buf, size_t len);
ssize_t read_retry(int fd, void* buf, size_t len);

// Field 22 of /proc/<pid>/stat (start time in clock ticks) and the state
// letter; 0 when the process does not exist. Pure syscalls, child-safe.
uint64_t process_start_time(pid_t pid, char* state_out = nullptr);

} // namespace corral::sys
