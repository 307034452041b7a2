// The on-disk state of containers: <root>/<id>/state.json, written
// atomically, one flock per container directory. The status is derived from
// the live process (pid + start time), never trusted from the file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/files.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };
const char* status_name(ContainerStatus s);

struct ContainerState {
    std::string oci_version;
    std::string id;
    pid_t pid = 0;
    unsigned long long start_time = 0; // /proc/<pid>/stat field 22, guards pid reuse
    std::string bundle;
    std::string rootfs;
    std::string created; // RFC 3339 with nanoseconds, UTC
    std::map<std::string, std::string> annotations;
    // The groups corral created, by hierarchy ("unified", "memory",
    // "cpu,cpuacct"...); empty with --cgroup-manager=disabled.
    std::map<std::string, std::string> cgroup_paths;
    std::vector<spec::Hook> poststart, poststop;
    uid_t owner = 0;
    bool use_init = false;
    // "dev:ino" of the image the init runs until its execve (corral's
    // sealed image, see sealed_self.hpp); empty in states of older corrals.
    std::string init_exe;
};

// "dev:ino" of the file behind PATH (a /proc/<pid>/exe link), empty when it
// cannot be read.
std::string exe_identity(const char* path);

// The OCI state document given to hooks and printed by `state` (compact:
// hooks commonly read it as one line).
std::string oci_state_json(const ContainerState& st, ContainerStatus status, bool with_runc_fields);

std::string state_to_json(const ContainerState& st);
Result<ContainerState> state_from_json(const std::string& text);

// Live status of a recorded container: a pid counts as alive only while its
// start time still matches and it is not a zombie. Created vs running is
// told by the exec fifo, which `start` removes.
ContainerStatus derive_status(const ContainerState& st, const std::string& dir);

// A locked container directory. The lock (flock on the directory fd) is
// released when the object goes away.
class ContainerDir {
public:
    ContainerDir() = default;
    ContainerDir(std::string path, UniqueFd fd)
        : path_(std::move(path))
        , fd_(std::move(fd)) {}
    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }
    std::string file(const char* name) const { return path_ + "/" + name; }

    Result<ContainerState> load() const;
    Status save(const ContainerState& st) const;
    // The config.json the container was created from, kept here so that exec
    // and audit see what create saw even when the bundle has changed or gone.
    Status save_config(const std::string& text) const;
    // The directory whose config.json describes the container: this one, or
    // the bundle for a container made by an older corral.
    std::string config_dir(const ContainerState& st) const;
    // Removes the directory and everything in it.
    Status remove();

private:
    std::string path_;
    UniqueFd fd_;
};

class StateStore {
public:
    explicit StateStore(std::string root)
        : root_(std::move(root)) {}
    const std::string& root() const { return root_; }

    // Makes <root>/<id> exclusively (mkdir is the arbiter between two
    // concurrent creates of one id) and locks it.
    Result<ContainerDir> create(const std::string& id) const;
    // Locks an existing container; a missing one is "container X does not exist".
    // Readers pass lock=false: state.json is replaced atomically, and a hook
    // run by create may query the state while create holds the lock.
    Result<ContainerDir> open(const std::string& id, bool lock = true) const;
    // Ids present under the root, sorted.
    Result<std::vector<std::string>> ids() const;

private:
    std::string root_;
};

// /run/corral as root, else $XDG_RUNTIME_DIR/corral.
std::string default_state_root();

} // namespace corral::runtime
