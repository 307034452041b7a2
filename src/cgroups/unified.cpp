#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <linux/magic.h>
#include <sstream>
#include <thread>

#include "cgroups/manager.hpp"
#include "common/syscalls.hpp"

namespace corral::cgroups {

namespace {

bool is_cgroup2(const char* path) {
    struct statfs fs {};
    return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

class UnifiedManager final : public Manager {
public:
    explicit UnifiedManager(std::string dir, bool created = false)
        : dir_(std::move(dir))
        , created_(created) {}

    Status create() override {
        // Walk down creating missing ancestors; EEXIST is fine for them but
        // not for the leaf, which must be this container's alone.
        size_t pos = mount_len_;
        while (true) {
            pos = dir_.find('/', pos + 1);
            std::string cur = dir_.substr(0, pos);
            bool leaf = pos == std::string::npos;
            if (mkdir(cur.c_str(), 0755) < 0) {
                if (errno != EEXIST || leaf) return sys_error("create cgroup", cur);
            }
            if (leaf) break;
        }
        created_ = true;
        fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_) return sys_error("open cgroup", dir_);
        return {};
    }

    int placement_fd() const override { return fd_.get(); }

    Status add_pid(pid_t pid) override {
        std::string procs = dir_ + "/cgroup.procs";
        UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) return sys_error("open", procs);
        std::string s = std::to_string(pid);
        if (sys::write_all(fd.get(), s.data(), s.size()) < 0) return sys_error("write", procs);
        return {};
    }

    Result<std::vector<pid_t>> pids() const override {
        std::ifstream in(dir_ + "/cgroup.procs");
        if (!in) return sys_error("read", dir_ + "/cgroup.procs");
        std::vector<pid_t> out;
        pid_t p;
        while (in >> p)
            out.push_back(p);
        return out;
    }

    Status kill_all(int sig) override {
        // cgroup.kill reaches every process atomically, including ones forked
        // while we iterate; it only exists for SIGKILL.
        if (sig == SIGKILL) {
            std::string kill = dir_ + "/cgroup.kill";
            UniqueFd fd(::open(kill.c_str(), O_WRONLY | O_CLOEXEC));
            if (fd && sys::write_all(fd.get(), "1", 1) == 0) return {};
        }
        auto list = pids();
        if (!list) return list.error();
        for (pid_t p : *list)
            if (::kill(p, sig) < 0 && errno != ESRCH) return sys_error("kill", std::to_string(p));
        return {};
    }

    Status destroy() override {
        fd_.reset();
        // Processes that just died may still be listed for a moment; the
        // kernel answers EBUSY until they are gone.
        for (int i = 0; i < 200; ++i) {
            if (rmdir(dir_.c_str()) == 0 || errno == ENOENT) return {};
            if (errno != EBUSY) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return sys_error("remove cgroup", dir_);
    }

    const std::string& path() const override { return dir_; }

    void set_mount_len(size_t n) { mount_len_ = n; }

private:
    std::string dir_;
    bool created_ = false;
    size_t mount_len_ = 0;
    UniqueFd fd_;
};

} // namespace

Status check_resources_supported(const spec::Spec& spec) {
    if (!spec.linux || !spec.linux->resources) return {};
    const auto& r = *spec.linux->resources;
    const char* field = nullptr;
    if (r.memory)
        field = "memory";
    else if (r.cpu)
        field = "cpu";
    else if (r.pids)
        field = "pids";
    else if (r.block_io)
        field = "blockIO";
    else if (!r.hugepage_limits.empty())
        field = "hugepageLimits";
    else if (r.network)
        field = "network";
    else if (!r.rdma.empty())
        field = "rdma";
    else if (!r.unified.empty())
        field = "unified";
    if (field)
        return plain_error(std::string("linux.resources.") + field + ":",
                           "cgroup resource limits are not implemented yet");
    return {};
}

std::string unified_mountpoint() {
    if (is_cgroup2("/sys/fs/cgroup")) return "/sys/fs/cgroup";
    if (is_cgroup2("/sys/fs/cgroup/unified")) return "/sys/fs/cgroup/unified";
    return "";
}

std::string own_unified_group() {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0) return line.substr(3);
    return "/";
}

Result<std::string> resolve_group_path(const std::string& cgroups_path, const std::string& id,
                                       const std::string& own_cgroup) {
    std::string p = cgroups_path;
    if (p.empty())
        p = "/corral/" + id;
    else if (p[0] != '/')
        p = (own_cgroup == "/" ? "" : own_cgroup) + "/" + p;
    std::stringstream ss(p);
    std::string part, clean;
    while (std::getline(ss, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") return plain_error("linux.cgroupsPath:", "\"..\" is not allowed");
        clean += "/" + part;
    }
    if (clean.empty())
        return plain_error("linux.cgroupsPath:", "the hierarchy root cannot be a container's");
    return clean;
}

std::unique_ptr<Manager> open_existing(const std::string& dir) {
    return std::make_unique<UnifiedManager>(dir, true);
}

Result<std::unique_ptr<Manager>> make_manager(const spec::Spec& spec, const std::string& id) {
    CORRAL_TRY(check_resources_supported(spec));
    std::string mnt = unified_mountpoint();
    if (mnt.empty()) return plain_error("find cgroup2 hierarchy:", "no cgroup2 mount found");
    std::string cpath = spec.linux ? spec.linux->cgroups_path : "";
    auto group = resolve_group_path(cpath, id, own_unified_group());
    if (!group) return group.error();
    auto m = std::make_unique<UnifiedManager>(mnt + *group);
    m->set_mount_len(mnt.size());
    return std::unique_ptr<Manager>(std::move(m));
}

} // namespace corral::cgroups
