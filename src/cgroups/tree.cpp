#include "cgroups/tree.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::cgroups {

namespace {

std::vector<std::string> subgroups(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        out.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
    return out;
}

} // namespace

Result<std::vector<std::string>> make_group(const std::string& mount, const std::string& group) {
    std::vector<std::string> created;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = group.find('/', pos + 1);
        std::string cur = mount + group.substr(0, pos);
        bool leaf = pos == std::string::npos;
        if (mkdir(cur.c_str(), 0755) == 0)
            created.push_back(cur);
        else if (errno != EEXIST || leaf)
            return sys_error("create cgroup", cur);
    }
    return created;
}

Status add_to_group(const std::string& dir, pid_t pid) {
    std::string procs = dir + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open", procs);
    std::string s = std::to_string(pid);
    if (sys::write_all(fd.get(), s.data(), s.size()) < 0) return sys_error("write", procs);
    return {};
}

Result<std::vector<pid_t>> group_pids(const std::string& dir) {
    std::ifstream in(dir + "/cgroup.procs");
    if (!in) return sys_error("read", dir + "/cgroup.procs");
    std::vector<pid_t> out;
    pid_t p;
    while (in >> p)
        out.push_back(p);
    for (const auto& sub : subgroups(dir)) {
        auto more = group_pids(sub);
        if (more) out.insert(out.end(), more->begin(), more->end());
    }
    return out;
}

Status remove_group(const std::string& dir) {
    for (const auto& sub : subgroups(dir))
        CORRAL_TRY(remove_group(sub));
    // Processes that just died may still be listed for a moment; the kernel
    // answers EBUSY until they are gone.
    for (int i = 0; i < 400; ++i) {
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
        if (errno != EBUSY) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return sys_error("remove cgroup", dir);
}

} // namespace corral::cgroups
