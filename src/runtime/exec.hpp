// `exec`: a new process in a running container. corral clones a setup
// process that joins the container's namespaces through a pidfd of its init
// (one setns, the kernel orders user first), forks again when a pid or time
// namespace was joined, and runs the process from an ExecPlan, exactly like
// the init runs from its Plan: single-threaded, no exceptions, errors as
// frames on the sync socket. corral places it in the container's cgroups
// before releasing it to execve.
#pragma once

#include <optional>

#include "common/result.hpp"
#include "runtime/console.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/process.hpp"
#include "seccomp/compile.hpp"

namespace corral::runtime {

struct ExecPlan {
    ProcessPlan process;
    ConsolePlan console;
    std::optional<seccomp::SeccompProgram> seccomp;
    int target_pidfd = -1;   // the container's init
    unsigned join_flags = 0; // CLONE_NEW* of every namespace that differs from ours
    bool fork_after_join = false;
    std::string listener_path, listener_metadata; // seccomp notify, corral's side
};

// Returns the process's exit code (128+N when killed by signal N); with
// detach, 0 once it runs.
Result<int> exec_container(const ExecRequest& req);

// The setup process. Never returns.
[[noreturn]] void exec_setup_main(const ExecPlan& plan, int sync_fd);

} // namespace corral::runtime
