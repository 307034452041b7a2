// Turning the config's linux.seccomp into a classic BPF program. This runs in
// the parent before clone: libseccomp allocates freely and its errors are
// best reported as Results with JSON paths, while the child only has to hand
// the finished instructions to seccomp(2) (see load.hpp).
#pragma once

#include "common/result.hpp"
#include "spec/spec.hpp"

#include <linux/filter.h>
#include <string>
#include <vector>

namespace corral::seccomp {

struct SeccompProgram {
    std::vector<sock_filter> filter;
    // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags, passed to seccomp(2).
    unsigned int flags = 0;
    // Some rule uses SCMP_ACT_NOTIFY: the filter must be loaded with
    // SECCOMP_FILTER_FLAG_NEW_LISTENER and the fd handed to listenerPath.
    bool needs_notify_listener = false;
};

// Compiles the profile for the native architecture plus every listed one.
// Errors name the offending JSON field ("linux.seccomp.syscalls[3].action:
// unknown action \"SCMP_ACT_FOO\""). Syscall names libseccomp does not know
// (newer than its tables, or misspelt) are skipped and described in
// *warnings when warnings is not null: the default action then covers them.
Result<SeccompProgram> compile_seccomp(const spec::Seccomp& config,
                                       std::vector<std::string>* warnings);

} // namespace corral::seccomp
