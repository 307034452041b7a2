// What `exec` runs: runc's rules for turning the command line (or a process
// file) and the container's config into one process. Pure, unit-tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

struct ExecRequest {
    std::string root;
    std::string id;
    std::string process_file; // --process: the whole process, other process flags ignored
    std::vector<std::string> args;
    bool tty = false;
    std::string console_socket;
    std::string cwd;
    std::vector<std::string> env;
    std::string user; // UID[:GID]
    std::vector<std::string> additional_gids;
    std::vector<std::string> caps;
    bool no_new_privs = false;
    std::string apparmor;
    std::string process_label;
    bool detach = false;
    std::string pid_file;
    int preserve_fds = 0;
    std::string pidfd_socket;
    bool ignore_paused = false;
    std::vector<std::string> sub_cgroups; // --cgroup, see exec_cgroup.hpp
};

// The container's configured process with the request's overrides: args
// replaced, env entries set (K=V replaces K), cwd, user and extra groups,
// --cap added to the bounding, effective and permitted sets only (never
// inheritable or ambient, so an exec'd shell cannot pass it on through
// execve of an unprivileged program), no_new_privs, LSM labels, terminal.
// With a process file, that file's process as it is.
Result<spec::Process> exec_process(const spec::Process& configured, const ExecRequest& req);

} // namespace corral::runtime
