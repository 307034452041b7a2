// Container lifecycle operations behind the CLI verbs. Each takes the
// container's lock for as long as it changes state.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/state.hpp"

namespace corral::runtime {

struct CreateRequest {
    std::string root;
    std::string id;
    std::string bundle;
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    bool no_cgroup = false; // --cgroup-manager=disabled
    int preserve_fds = 0;
    bool detached = true; // false for a foreground run: it may hold the pty itself
    bool init = false;    // --init: corral's PID 1 runs the command
};

struct Created {
    ContainerState state;
    UniqueFd pidfd;  // of the init, our child
    UniqueFd master; // the pty master, for a foreground run with a terminal
};

Result<Created> create_container(const CreateRequest& req);
// Releases a created container's init to execve, then runs poststart hooks.
Status start_container(const StateStore& store, const std::string& id);
Status kill_container(const StateStore& store, const std::string& id, int sig, bool all);
Status delete_container(const StateStore& store, const std::string& id, bool force);
Result<std::string> state_json(const StateStore& store, const std::string& id);

struct ListEntry {
    ContainerState state;
    ContainerStatus status;
};
Result<std::vector<ListEntry>> list_containers(const StateStore& store);

// Kills (SIGKILL) and waits for the init through its pidfd, then removes the
// cgroup and runs poststop hooks; the caller removes the state directory.
Status destroy_container(const ContainerState& st, const std::string& dir_path);

// Waits until the process behind pidfd has exited, up to timeout_ms.
bool wait_pidfd_exit(int pidfd, int timeout_ms);
// A pidfd for a recorded process, verified against its start time so a
// recycled pid is never signalled.
Result<UniqueFd> open_verified_pidfd(const ContainerState& st);

} // namespace corral::runtime
