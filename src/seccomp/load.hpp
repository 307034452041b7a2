// Installing a compiled seccomp program; runs in the child, right before
// execve. Child-safe: no allocation, no exceptions, errors through
// child_fail().
#pragma once

#include "seccomp/compile.hpp"

namespace corral::seccomp {

// Loads program with seccomp(SECCOMP_SET_MODE_FILTER, program.flags). The
// caller must have set no_new_privs first or still hold CAP_SYS_ADMIN.
//
// A program with needs_notify_listener needs listener_fd: the filter is then
// loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER and *listener_fd receives the
// notification fd (without one, the kernel would answer every notifying
// syscall with ENOSYS, so a missing listener_fd is an error). Otherwise
// *listener_fd, if given, is set to -1.
bool load_seccomp(const SeccompProgram& program, int* listener_fd = nullptr);

} // namespace corral::seccomp
