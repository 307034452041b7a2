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

#include "cgroups/devices_v1.hpp"
#include "cgroups/manager.hpp"
#include "common/syscalls.hpp"

namespace corral::cgroups {

namespace {

bool is_cgroup2(const char* path) {
    struct statfs fs {};
    return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// Walks down creating missing ancestors; EEXIST is fine for them but not
// for the leaf, which must be this container's alone.
Status make_group(const std::string& dir, size_t mount_len) {
    size_t pos = mount_len;
    while (true) {
        pos = dir.find('/', pos + 1);
        std::string cur = dir.substr(0, pos);
        bool leaf = pos == std::string::npos;
        if (mkdir(cur.c_str(), 0755) < 0) {
            if (errno != EEXIST || leaf) return sys_error("create cgroup", cur);
        }
        if (leaf) return {};
    }
}

Status write_procs(const std::string& dir, pid_t pid) {
    std::string procs = dir + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open", procs);
    std::string s = std::to_string(pid);
    if (sys::write_all(fd.get(), s.data(), s.size()) < 0) return sys_error("write", procs);
    return {};
}

// Processes that just died may still be listed for a moment; the kernel
// answers EBUSY until they are gone.
Status remove_group(const std::string& dir) {
    for (int i = 0; i < 200; ++i) {
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
        if (errno != EBUSY) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return sys_error("remove cgroup", dir);
}

class UnifiedManager final : public Manager {
public:
    UnifiedManager(std::string dir, std::string devices_dir)
        : dir_(std::move(dir))
        , devices_dir_(std::move(devices_dir)) {}

    Status create() override {
        CORRAL_TRY(make_group(dir_, mount_len_));
        fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_) return sys_error("open cgroup", dir_);
        if (!devices_dir_.empty()) {
            CORRAL_TRY(make_group(devices_dir_, devices_mount_len_));
            UniqueFd dfd(::open(devices_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!dfd) return sys_error("open cgroup", devices_dir_);
            CORRAL_TRY(write_device_rules(dfd.get(), device_lines_));
        }
        return {};
    }

    Status attach_secondary(pid_t pid) override {
        if (devices_dir_.empty()) return {};
        return write_procs(devices_dir_, pid);
    }

    const std::string& devices_path() const override { return devices_dir_; }

    void set_devices(size_t mount_len, std::vector<DeviceRuleLine> lines) {
        devices_mount_len_ = mount_len;
        device_lines_ = std::move(lines);
    }

    int placement_fd() const override { return fd_.get(); }

    Status add_pid(pid_t pid) override { return write_procs(dir_, pid); }

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
        Status first = remove_group(dir_);
        if (!devices_dir_.empty()) {
            auto r = remove_group(devices_dir_);
            if (first.ok() && !r.ok()) first = r;
        }
        return first;
    }

    const std::string& path() const override { return dir_; }

    void set_mount_len(size_t n) { mount_len_ = n; }

private:
    std::string dir_;
    std::string devices_dir_;
    bool created_ = false;
    size_t mount_len_ = 0;
    size_t devices_mount_len_ = 0;
    std::vector<DeviceRuleLine> device_lines_;
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

std::unique_ptr<Manager> open_existing(const std::string& dir, const std::string& devices_dir) {
    return std::make_unique<UnifiedManager>(dir, devices_dir);
}

Result<std::unique_ptr<Manager>> make_manager(const spec::Spec& spec, const std::string& id) {
    CORRAL_TRY(check_resources_supported(spec));
    std::string mnt = unified_mountpoint();
    if (mnt.empty()) return plain_error("find cgroup2 hierarchy:", "no cgroup2 mount found");
    std::string cpath = spec.linux ? spec.linux->cgroups_path : "";
    auto group = resolve_group_path(cpath, id, own_unified_group());
    if (!group) return group.error();
    std::string dev_mnt = devices_v1_mountpoint();
    auto m =
        std::make_unique<UnifiedManager>(mnt + *group, dev_mnt.empty() ? "" : dev_mnt + *group);
    m->set_mount_len(mnt.size());
    if (!dev_mnt.empty()) {
        std::vector<spec::DeviceRule> none;
        const auto& rules =
            spec.linux && spec.linux->resources ? spec.linux->resources->devices : none;
        auto lines = device_rule_lines(rules);
        if (!lines) return lines.error();
        m->set_devices(dev_mnt.size(), std::move(*lines));
    }
    return std::unique_ptr<Manager>(std::move(m));
}

} // namespace corral::cgroups
