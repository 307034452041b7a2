#include "runtime/state.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cgroups/manager.hpp"
#include "common/files.hpp"
#include "common/syscalls.hpp"

namespace corral::runtime {

using nlohmann::json;

const char* status_name(ContainerStatus s) {
    switch (s) {
    case ContainerStatus::Creating:
        return "creating";
    case ContainerStatus::Created:
        return "created";
    case ContainerStatus::Running:
        return "running";
    case ContainerStatus::Paused:
        return "paused";
    case ContainerStatus::Stopped:
        return "stopped";
    }
    return "unknown";
}

std::string oci_state_json(const ContainerState& st, ContainerStatus status,
                           bool with_runc_fields) {
    json j = {{"ociVersion", st.oci_version.empty() ? "1.2.0" : st.oci_version},
              {"id", st.id},
              {"status", status_name(status)},
              {"bundle", st.bundle},
              {"annotations", st.annotations}};
    if (status != ContainerStatus::Stopped && st.pid > 0)
        j["pid"] = st.pid;
    else
        j["pid"] = 0;
    if (with_runc_fields) {
        j["rootfs"] = st.rootfs;
        j["created"] = st.created;
        j["owner"] = "";
    }
    return j.dump();
}

static json hooks_to_json(const std::vector<spec::Hook>& hooks) {
    json arr = json::array();
    for (const auto& h : hooks) {
        json o = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
        if (h.timeout) o["timeout"] = *h.timeout;
        arr.push_back(std::move(o));
    }
    return arr;
}

namespace {

// Strict readers: nlohmann's get<int>() silently converts floats and
// booleans (and overflows with undefined behaviour), so a corrupt or
// hand-edited state file could name some other pid.
struct StateFormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <typename T> T integer_field(const json& j, const char* key, T lo, T hi) {
    const json& v = j.at(key);
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (u <= static_cast<uint64_t>(hi) && (lo < 0 || u >= static_cast<uint64_t>(lo)))
            return static_cast<T>(u);
    } else if (v.is_number_integer()) {
        auto i = v.get<int64_t>();
        if (i >= static_cast<int64_t>(lo) &&
            (hi < 0 || static_cast<uint64_t>(i) <= static_cast<uint64_t>(hi)))
            return static_cast<T>(i);
    }
    throw StateFormatError(std::string(key) + ": expected an integer in range");
}

std::string string_field(const json& j, const char* key) {
    const json& v = j.at(key);
    if (!v.is_string()) throw StateFormatError(std::string(key) + ": expected a string");
    return v.get<std::string>();
}

std::vector<spec::Hook> hooks_from_json(const json& arr) {
    if (!arr.is_array()) throw StateFormatError("hooks: expected an array");
    std::vector<spec::Hook> out;
    for (const auto& o : arr) {
        spec::Hook h;
        h.path = string_field(o, "path");
        h.args = o.at("args").get<std::vector<std::string>>();
        h.env = o.at("env").get<std::vector<std::string>>();
        if (o.contains("timeout")) h.timeout = integer_field<int32_t>(o, "timeout", 1, INT32_MAX);
        out.push_back(std::move(h));
    }
    return out;
}

} // namespace

std::string state_to_json(const ContainerState& st) {
    json j = {{"ociVersion", st.oci_version},
              {"id", st.id},
              {"pid", st.pid},
              {"startTime", st.start_time},
              {"bundle", st.bundle},
              {"rootfs", st.rootfs},
              {"created", st.created},
              {"annotations", st.annotations},
              {"cgroupPaths", st.cgroup_paths},
              {"poststart", hooks_to_json(st.poststart)},
              {"poststop", hooks_to_json(st.poststop)},
              {"owner", st.owner},
              {"init", st.use_init},
              {"initExe", st.init_exe}};
    return j.dump();
}

Result<ContainerState> state_from_json(const std::string& text) {
    // A truncated or hand-edited file must give a clear error, never a crash.
    try {
        json j = json::parse(text);
        ContainerState st;
        st.oci_version = string_field(j, "ociVersion");
        st.id = string_field(j, "id");
        st.pid = integer_field<pid_t>(j, "pid", 0, INT32_MAX);
        st.start_time = integer_field<unsigned long long>(j, "startTime", 0, ULLONG_MAX);
        st.bundle = string_field(j, "bundle");
        st.rootfs = string_field(j, "rootfs");
        st.created = string_field(j, "created");
        st.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
        st.cgroup_paths = j.at("cgroupPaths").get<std::map<std::string, std::string>>();
        for (const auto& [key, dir] : st.cgroup_paths)
            if (dir.rfind("/sys/fs/cgroup/", 0) != 0 || dir.find("/../") != std::string::npos)
                throw StateFormatError("cgroup path " + key + " is not under /sys/fs/cgroup");
        st.poststart = hooks_from_json(j.at("poststart"));
        st.poststop = hooks_from_json(j.at("poststop"));
        st.owner = integer_field<uid_t>(j, "owner", 0, UINT32_MAX);
        st.use_init = j.contains("init") && j["init"].is_boolean() && j["init"].get<bool>();
        if (j.contains("initExe")) st.init_exe = string_field(j, "initExe");
        return st;
    } catch (const std::exception& e) {
        std::string what = e.what();
        std::transform(what.begin(), what.end(), what.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        return plain_error("read state.json:", "corrupt state: " + what);
    }
}

std::string exe_identity(const char* path) {
    struct stat sb {};
    if (::stat(path, &sb) < 0) return {};
    return std::to_string(static_cast<unsigned long long>(sb.st_dev)) + ":" +
           std::to_string(static_cast<unsigned long long>(sb.st_ino));
}

// The fifo outlives a start killed after the init wrote its byte, although
// the process then runs: the init has left corral's sealed image once it
// execs. States written before the image's identity was recorded fall back
// to the memfd copy's name. An unreadable link (a rootless caller, a
// non-dumpable init) leaves the fifo to decide.
static bool init_has_execed(const ContainerState& st) {
    char link[64], target[256];
    std::snprintf(link, sizeof link, "/proc/%d/exe", static_cast<int>(st.pid));
    if (!st.init_exe.empty()) {
        std::string now = exe_identity(link);
        return !now.empty() && now != st.init_exe;
    }
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n < 0) return false;
    target[n] = '\0';
    return std::strncmp(target, "/memfd:corral ", 14) != 0;
}

ContainerStatus derive_status(const ContainerState& st, const std::string& dir) {
    if (st.pid <= 0) return ContainerStatus::Creating;
    char proc_state = 0;
    unsigned long long now = sys::process_start_time(st.pid, &proc_state);
    if (now == 0 || now != st.start_time || proc_state == 'Z' || proc_state == 'X')
        return ContainerStatus::Stopped;
    if (access((dir + "/exec.fifo").c_str(), F_OK) == 0 && !init_has_execed(st))
        return ContainerStatus::Created;
    // Paused is the freezer's word, not the process state's ('T' may be a
    // job-control stop inside the container).
    if (!st.cgroup_paths.empty()) {
        auto frozen = cgroups::open_existing(st.cgroup_paths)->frozen();
        if (frozen && *frozen) return ContainerStatus::Paused;
    }
    return ContainerStatus::Running;
}

Result<ContainerState> ContainerDir::load() const {
    auto text = read_file(file("state.json"));
    if (!text) return text.error();
    auto st = state_from_json(*text);
    if (!st) return Error{0, "read " + file("state.json") + ":", st.error().detail};
    return st;
}

Status ContainerDir::save(const ContainerState& st) const {
    std::string tmp = file("state.json.tmp");
    std::string data = state_to_json(st);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return sys_error("create", tmp);
    // No fsync: rename alone makes every reader see a whole file, and the
    // state only describes processes, which do not outlive a power loss
    // either (the default root is a tmpfs). On a disk-backed --root each
    // fsync cost about a millisecond, three times per create.
    if (sys::write_all(fd.get(), data.data(), data.size()) < 0) {
        Error e = sys_error("write", tmp);
        unlink(tmp.c_str());
        return e;
    }
    if (rename(tmp.c_str(), file("state.json").c_str()) < 0) {
        Error e = sys_error("rename", tmp);
        unlink(tmp.c_str());
        return e;
    }
    return {};
}

Status ContainerDir::save_config(const std::string& text) const {
    std::string path = file("config.json");
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return sys_error("create", path);
    if (sys::write_all(fd.get(), text.data(), text.size()) < 0) return sys_error("write", path);
    return {};
}

std::string ContainerDir::config_dir(const ContainerState& st) const {
    return access(file("config.json").c_str(), F_OK) == 0 ? path_ : st.bundle;
}

// LAST, when given, goes after everything else in the directory.
static int remove_tree_at(int dirfd, const char* last = nullptr) {
    DIR* d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return -1;
    }
    int rc = 0;
    while (dirent* e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (last && !strcmp(e->d_name, last)) continue;
        if (e->d_type == DT_DIR) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) remove_tree_at(sub);
            if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0) rc = -1;
        } else if (unlinkat(dirfd, e->d_name, 0) < 0) {
            rc = -1;
        }
    }
    if (last && unlinkat(dirfd, last, 0) < 0 && errno != ENOENT) rc = -1;
    closedir(d);
    return rc;
}

Status ContainerDir::remove() {
    int dup = fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return sys_error("remove state directory", path_);
    // state.json last: a delete killed half way leaves either a readable
    // state, which the next `delete -f` acts on, or an empty directory.
    remove_tree_at(dup, "state.json");
    if (rmdir(path_.c_str()) < 0 && errno != ENOENT) return sys_error("remove", path_);
    return {};
}

static Status mkdir_p(const std::string& path, mode_t mode) {
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) return sys_error("mkdir", cur);
    }
    return {};
}

static Result<UniqueFd> lock_dir(const std::string& path, bool lock = true) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open", path);
    if (lock && flock(fd.get(), LOCK_EX) < 0) return sys_error("lock", path);
    return fd;
}

Result<ContainerDir> StateStore::create(const std::string& id) const {
    CORRAL_TRY(mkdir_p(root_, 0700));
    // The root may be a predictable path (/tmp/corral-UID): one made or
    // opened up by someone else could be used to plant or read state.
    struct stat rs {};
    if (::stat(root_.c_str(), &rs) < 0) return sys_error("stat", root_);
    if (rs.st_uid != geteuid())
        return plain_error("state root " + root_ + ":",
                           "owned by uid " + std::to_string(rs.st_uid) + ", not by the caller");
    if (rs.st_mode & 022)
        return plain_error("state root " + root_ + ":", "writable by other users");
    std::string path = root_ + "/" + id;
    if (mkdir(path.c_str(), 0711) < 0) {
        if (errno == EEXIST) return plain_error("container with id " + id, "already exists");
        return sys_error("mkdir", path);
    }
    auto fd = lock_dir(path);
    if (!fd) {
        rmdir(path.c_str());
        return fd.error();
    }
    return ContainerDir(path, std::move(*fd));
}

Result<ContainerDir> StateStore::open(const std::string& id, bool lock) const {
    std::string path = root_ + "/" + id;
    auto fd = lock_dir(path, lock);
    if (!fd) {
        if (fd.error().err == ENOENT) return plain_error("container " + id, "does not exist");
        return fd.error();
    }
    // A concurrent delete may have removed the directory while we waited.
    struct stat st {};
    if (fstat(fd->get(), &st) < 0 || st.st_nlink == 0)
        return plain_error("container " + id, "does not exist");
    return ContainerDir(path, std::move(*fd));
}

Result<std::vector<std::string>> StateStore::ids() const {
    std::vector<std::string> out;
    DIR* d = opendir(root_.c_str());
    // No root yet means no containers; an unreadable one is an error, not
    // an empty list (another user's state must not look like none).
    if (!d && errno == ENOENT) return out;
    if (!d) return sys_error("read state root", root_);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
        out.emplace_back(e->d_name);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::string default_state_root() {
    if (geteuid() == 0) return "/run/corral";
    const char* xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg) return std::string(xdg) + "/corral";
    return "/tmp/corral-" + std::to_string(geteuid());
}

} // namespace corral::runtime
