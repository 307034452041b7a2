// start, kill, delete, state and list: everything after create.
#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "cgroups/manager.hpp"
#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "runtime/hooks.hpp"
#include "runtime/lifecycle.hpp"

namespace corral::runtime {

bool wait_pidfd_exit(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left < 0) left = 0;
        int r = poll(&p, 1, static_cast<int>(left));
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

Result<UniqueFd> open_verified_pidfd(const ContainerState& st) {
    if (st.pid <= 0) return plain_error("container " + st.id, "has no process");
    UniqueFd fd(sys::pidfd_open(st.pid));
    if (!fd) {
        if (errno == ESRCH) return plain_error("container " + st.id, "is not running");
        return sys_error("pidfd_open", std::to_string(st.pid));
    }
    // The pidfd pins the process; checking the start time after opening it
    // proves it is the same process, not a recycled pid.
    char state = 0;
    if (sys::process_start_time(st.pid, &state) != st.start_time || state == 'Z')
        return plain_error("container " + st.id, "is not running");
    return fd;
}

Status start_container(const StateStore& store, const std::string& id) {
    auto dir = store.open(id);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    ContainerStatus status = derive_status(*st, dir->path());
    if (status != ContainerStatus::Created)
        return plain_error("cannot start container " + id + ":",
                           std::string("it is ") + status_name(status) + ", not created");
    auto pidfd = open_verified_pidfd(*st);
    if (!pidfd) return pidfd.error();

    std::string fifo = dir->file("exec.fifo");
    // Non-blocking open never waits for a writer; poll then tells whether
    // the init wrote its byte or died first.
    UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return sys_error("open", fifo);
    pollfd fds[2] = {{fd.get(), POLLIN, 0}, {pidfd->get(), POLLIN, 0}};
    for (;;) {
        int r = poll(fds, 2, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sys_error("poll", fifo);
        if (fds[0].revents & POLLIN) break;
        if (fds[1].revents & POLLIN) {
            // It may have written and exited at once: a last non-blocking read decides.
            break;
        }
    }
    char c;
    ssize_t n = sys::read_retry(fd.get(), &c, 1);
    if (n != 1) return plain_error("start container " + id + ":", "the init exited before start");
    unlink(fifo.c_str());
    // The init's writer is close-on-exec: EOF means execve happened (or the
    // init died), so poststart hooks run after the process started.
    pollfd hup{fd.get(), POLLIN, 0};
    for (;;) {
        if (poll(&hup, 1, -1) < 0 && errno != EINTR) break;
        if (hup.revents & (POLLHUP | POLLERR)) break;
        if ((hup.revents & POLLIN) && sys::read_retry(fd.get(), &c, 1) <= 0) break;
    }

    std::string running = oci_state_json(*st, ContainerStatus::Running, false);
    for (const auto& h : st->poststart) {
        auto r = run_hook(h, running, "poststart");
        if (!r) log::warn(r.error().message());
    }
    return {};
}

Status kill_container(const StateStore& store, const std::string& id, int sig, bool all) {
    auto dir = store.open(id);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    ContainerStatus status = derive_status(*st, dir->path());
    if (status != ContainerStatus::Created && status != ContainerStatus::Running &&
        status != ContainerStatus::Paused)
        return plain_error("cannot kill container " + id + ":",
                           std::string("it is ") + status_name(status));
    if (all && !st->cgroup_paths.empty())
        return cgroups::open_existing(st->cgroup_paths)->kill_all(sig);
    auto pidfd = open_verified_pidfd(*st);
    if (!pidfd) return pidfd.error();
    if (sys::pidfd_send_signal(pidfd->get(), sig) < 0)
        return sys_error("kill container " + id, "pid " + std::to_string(st->pid));
    return {};
}

Status destroy_container(const ContainerState& st, const std::string& dir_path) {
    (void)dir_path;
    auto pidfd = open_verified_pidfd(st);
    if (pidfd) sys::pidfd_send_signal(pidfd->get(), SIGKILL);
    std::unique_ptr<cgroups::Manager> cg;
    if (!st.cgroup_paths.empty()) {
        cg = cgroups::open_existing(st.cgroup_paths);
        (void)cg->kill_all(SIGKILL);
        // A v1-frozen task does not act on SIGKILL until it is thawed.
        (void)cg->thaw();
    }
    if (pidfd) {
        if (!wait_pidfd_exit(pidfd->get(), 10000))
            return plain_error("delete container " + st.id + ":", "the init did not die");
        // Reap it when it is our child (run); elsewhere its parent reaps.
        siginfo_t info{};
        waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd->get()), &info,
               WEXITED | WNOHANG);
    }
    Status result;
    if (cg) result = cg->destroy();
    std::string stopped = oci_state_json(st, ContainerStatus::Stopped, false);
    for (const auto& h : st.poststop) {
        auto r = run_hook(h, stopped, "poststop");
        if (!r) log::warn(r.error().message());
    }
    return result;
}

// The groups a container with an empty cgroupsPath gets; killed and removed
// when present, for a delete -f that lost the state naming them.
static Result<bool> kill_default_groups(const std::string& id) {
    spec::Spec none;
    auto cg = cgroups::make_manager(none, id);
    if (!cg) return false;
    std::map<std::string, std::string> present;
    for (const auto& [key, path] : (*cg)->paths())
        if (::access(path.c_str(), F_OK) == 0) present[key] = path;
    if (present.empty()) return false;
    auto groups = cgroups::open_existing(present);
    CORRAL_TRY(groups->kill_all(SIGKILL));
    for (int tries = 0; tries < 100; ++tries) {
        auto pids = groups->pids();
        if (!pids || pids->empty()) break;
        ::usleep(20000);
    }
    CORRAL_TRY(groups->destroy());
    return true;
}

// Whether the state directory holds anything but state.json and an
// interrupted save's temporary file.
static bool has_other_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    bool other = false;
    while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != ".." && n != "state.json" && n != "state.json.tmp") other = true;
    }
    ::closedir(d);
    return other;
}

Status delete_container(const StateStore& store, const std::string& id, bool force) {
    auto dir = store.open(id);
    if (!dir) {
        // As runc: forcing the delete of a container that is not there
        // succeeds, so a caller's cleanup after a failed create is quiet
        // (podman and the containerd shim both issue one).
        std::string path = store.root() + "/" + id;
        if (force && ::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return {};
        return dir.error();
    }
    auto st = dir->load();
    if (!st) {
        if (!force) return st.error();
        // Without a state the groups can still be found where a default
        // cgroupsPath puts them; what they hold is the container.
        auto found = kill_default_groups(id);
        if (!found) return found.error();
        if (*found) return dir->remove();
        // A create killed before its first save leaves an empty directory.
        // Anything else is a container corral can no longer find: keep the
        // directory and say so rather than forget it.
        struct stat sb {};
        if (::stat(dir->file("state.json").c_str(), &sb) == 0 || has_other_files(dir->path()))
            return plain_error("cannot delete container " + id + ":",
                               st.error().message() + "; stop its processes and remove " +
                                   dir->path() + " by hand");
        return dir->remove();
    }
    ContainerStatus status = derive_status(*st, dir->path());
    if ((status == ContainerStatus::Running || status == ContainerStatus::Paused) && !force)
        return plain_error("cannot delete container " + id + ":",
                           std::string("it is ") + status_name(status) + " (use delete -f)");
    auto r = destroy_container(*st, dir->path());
    if (!r) return r;
    return dir->remove();
}

Result<std::string> state_json(const StateStore& store, const std::string& id) {
    auto dir = store.open(id, false);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    return oci_state_json(*st, derive_status(*st, dir->path()), true);
}

Result<std::vector<ListEntry>> list_containers(const StateStore& store) {
    std::vector<ListEntry> out;
    auto ids = store.ids();
    if (!ids) return ids.error();
    for (const auto& id : *ids) {
        auto dir = store.open(id, false);
        if (!dir) continue;
        auto st = dir->load();
        if (!st) {
            // As runc: say which one is broken and go on with the others.
            log::warn("container " + id + ": " + st.error().message());
            continue;
        }
        out.push_back({*st, derive_status(*st, dir->path())});
    }
    return out;
}

} // namespace corral::runtime
