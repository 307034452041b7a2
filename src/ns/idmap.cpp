#include "ns/idmap.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

extern char** environ;

namespace corral::ns {

namespace {

Status write_proc(pid_t pid, const char* file, const std::string& text) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open", path);
    // The kernel takes a map in a single write.
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return sys_error("write " + path, "\"" + text.substr(0, text.find('\n')) + "...\"");
    return {};
}

// newuidmap PID c h s ... : the setuid helper of the uidmap package checks
// the ranges against /etc/subuid for the caller.
Status run_helper(const char* helper, pid_t pid, const std::vector<spec::IdMapping>& maps) {
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (const auto& m : maps)
        for (uint32_t v : {m.container_id, m.host_id, m.size})
            args.push_back(std::to_string(v));
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child;
    int err = posix_spawnp(&child, helper, nullptr, nullptr, argv.data(), environ);
    if (err != 0) {
        errno = err;
        return sys_error(std::string("run ") + helper, "(is the uidmap package installed?)");
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return plain_error(std::string(helper) + ":",
                           "refused the mapping (check /etc/subuid and /etc/subgid)");
    return {};
}

bool self_mapping(const std::vector<spec::IdMapping>& maps, uint32_t own) {
    return maps.size() == 1 && maps[0].size == 1 && maps[0].host_id == own;
}

} // namespace

std::string id_map_text(const std::vector<spec::IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
               std::to_string(m.size) + "\n";
    return out;
}

Status write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids,
                     const std::vector<spec::IdMapping>& gids, bool deny_setgroups) {
    // setgroups must be settled before gid_map is written, and an
    // unprivileged writer may only write gid_map once it says deny.
    if (deny_setgroups) CORRAL_TRY(write_proc(pid, "setgroups", "deny"));
    bool root = geteuid() == 0;
    if (root || self_mapping(gids, getegid()))
        CORRAL_TRY(write_proc(pid, "gid_map", id_map_text(gids)));
    else
        CORRAL_TRY(run_helper("newgidmap", pid, gids));
    if (root || self_mapping(uids, geteuid()))
        CORRAL_TRY(write_proc(pid, "uid_map", id_map_text(uids)));
    else
        CORRAL_TRY(run_helper("newuidmap", pid, uids));
    return {};
}

} // namespace corral::ns
