// The container's mount table against its config: masked and read-only
// paths, a read-only root, mounts nobody declared, host mounts that break
// isolation, and propagation shared with the host.
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "audit/context.hpp"
#include "ns/paths.hpp"

namespace corral::audit {

namespace {

// The mount on top at `point`: mountinfo lists mounts in the order they were
// made, so the last entry for a point is the visible one.
const MountEntry* top_mount(const std::vector<MountEntry>& mounts, const std::string& point) {
    const MountEntry* top = nullptr;
    for (const auto& m : mounts)
        if (m.point == point) top = &m;
    return top;
}

bool under(const std::string& path, const std::string& dir) {
    if (dir == "/") return true;
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
}

std::string list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s;
}

bool is_empty_dir(int fd) {
    int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) return false;
    DIR* dir = fdopendir(d);
    if (!dir) {
        close(d);
        return false;
    }
    bool empty = true;
    while (dirent* e = readdir(dir))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") empty = false;
    closedir(dir);
    return empty;
}

// "masked", "absent", or what the path is instead.
std::string mask_state(const Context& c, const std::string& path) {
    int fd = ns::open_in_root(c.root.get(), path.c_str(), O_PATH | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? "absent" : "unreadable";
    struct stat st {};
    fstat(fd, &st);
    std::string what;
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
        what = "masked";
    } else if (S_ISDIR(st.st_mode)) {
        const MountEntry* m = top_mount(c.init.mounts, path);
        bool ro_tmpfs = m && m->fstype == "tmpfs" && m->has_option("ro");
        what = ro_tmpfs && is_empty_dir(fd)
                   ? "masked"
                   : "a visible directory (" + (m ? m->fstype : "no mount") + ")";
    } else {
        what = "visible";
    }
    close(fd);
    return what;
}

bool is_engine_socket(const std::string& p) {
    static const char* names[] = {"docker.sock", "containerd.sock", "crio.sock",
                                  "podman.sock", "dockershim.sock", "cri-dockerd.sock"};
    for (const char* n : names) {
        std::string s = std::string("/") + n;
        if (p.size() >= s.size() && p.compare(p.size() - s.size(), s.size(), s) == 0) return true;
    }
    return false;
}

void check_paths(const Context& c, Report& r) {
    const auto& lx = *c.config->linux;
    Check masked{"filesystem.masked-paths", "filesystem", Kind::Conformance, Level::Error};
    std::vector<std::string> open;
    for (const auto& p : lx.masked_paths) {
        std::string st = mask_state(c, p);
        if (st != "masked" && st != "absent") open.push_back(p + " is " + st);
    }
    masked.expected = std::to_string(lx.masked_paths.size()) +
                      " paths masked (/dev/null or an empty read-only tmpfs)";
    masked.observed = open.empty() ? "all masked or absent" : list(open);
    masked.explanation = open.empty() ? "as configured" : "paths the config masks are readable";
    r.add(masked, open.empty());

    Check ro{"filesystem.readonly-paths", "filesystem", Kind::Conformance, Level::Error};
    std::vector<std::string> writable;
    for (const auto& p : lx.readonly_paths) {
        const MountEntry* m = top_mount(c.init.mounts, p);
        if (!m) {
            int fd = ns::open_in_root(c.root.get(), p.c_str(), O_PATH | O_NOFOLLOW);
            if (fd >= 0) {
                close(fd);
                writable.push_back(p + " (not a read-only mount)");
            }
            continue;
        }
        if (!m->has_option("ro")) writable.push_back(p);
    }
    ro.expected = std::to_string(lx.readonly_paths.size()) + " paths read-only";
    ro.observed = writable.empty() ? "all read-only or absent" : "writable: " + list(writable);
    ro.explanation =
        writable.empty() ? "as configured" : "paths the config makes read-only are writable";
    r.add(ro, writable.empty());
}

std::set<std::string> declared_points(const Context& c) {
    std::set<std::string> ok = {"/"};
    const auto& cfg = *c.config;
    for (const auto& m : cfg.mounts)
        ok.insert(m.destination);
    if (cfg.linux) {
        ok.insert(cfg.linux->masked_paths.begin(), cfg.linux->masked_paths.end());
        ok.insert(cfg.linux->readonly_paths.begin(), cfg.linux->readonly_paths.end());
        for (const auto& d : cfg.linux->devices)
            ok.insert(d.path);
    }
    if (cfg.process && cfg.process->terminal) ok.insert("/dev/console");
    // Without a device cgroup to rely on (user namespaces), the default
    // devices are binds of the host's nodes.
    for (const char* d :
         {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
        ok.insert(d);
    return ok;
}

// Trees mounted recursively bring their submounts: rbind sources, sysfs
// (a read-only rbind of the host's /sys replaces it in a user namespace
// without a network namespace) and the cgroup hierarchies under it.
bool inside_recursive_mount(const Context& c, const std::string& point) {
    for (const auto& m : c.config->mounts) {
        bool recursive = m.type == "sysfs" || m.type == "cgroup" || m.type == "cgroup2";
        for (const auto& o : m.options)
            recursive = recursive || o == "rbind";
        if (recursive && under(point, m.destination)) return true;
    }
    return false;
}

void check_undeclared(const Context& c, Report& r) {
    Check u{"filesystem.undeclared-mounts", "filesystem", Kind::Conformance, Level::Error};
    auto ok = declared_points(c);
    std::vector<std::string> extra;
    for (const auto& m : c.init.mounts)
        if (!ok.count(m.point) && !inside_recursive_mount(c, m.point))
            extra.push_back(m.point + " (" + m.fstype + " " + m.source + ")");
    u.expected = "only the config's mounts";
    u.observed = extra.empty() ? std::to_string(c.init.mounts.size()) + " mounts, all declared"
                               : list(extra);
    u.explanation = extra.empty() ? "as configured" : "mounts the config does not declare";
    r.add(u, extra.empty());
}

void check_host_mounts(const Context& c, Report& r) {
    const MountEntry* host_root = top_mount(c.host_mounts, "/");
    const MountEntry* host_proc = top_mount(c.host_mounts, "/proc");
    std::vector<std::string> bad;
    for (const auto& m : c.init.mounts) {
        if (is_engine_socket(m.point) || is_engine_socket(m.root))
            bad.push_back(m.point + ": a container engine's socket");
        else if (m.point != "/" && host_root && m.root == "/" && m.major == host_root->major &&
                 m.minor == host_root->minor && m.fstype == host_root->fstype)
            bad.push_back(m.point + ": the host's root filesystem");
        else if (m.fstype == "proc" && host_proc && m.major == host_proc->major &&
                 m.minor == host_proc->minor)
            bad.push_back(m.point + ": the host's procfs");
        else if ((m.fstype == "sysfs" || m.fstype == "cgroup" || m.fstype == "cgroup2") &&
                 !m.has_option("ro"))
            bad.push_back(m.point + ": writable " + m.fstype);
        else if (m.fstype == "proc" && m.point != "/proc" && !m.has_option("ro"))
            bad.push_back(m.point + ": a second writable procfs");
    }
    Check h{"hardening.host-mounts", "filesystem", Kind::Hardening, Level::Error};
    h.expected = "no engine socket, host root, host procfs or writable sysfs/cgroupfs";
    h.observed = bad.empty() ? "none" : list(bad);
    h.explanation = bad.empty() ? "no host mount that breaks isolation"
                                : "each of these lets the container act on the host";
    r.add(h, bad.empty());
}

void check_propagation(const Context& c, Report& r) {
    std::set<std::string> host_groups;
    for (const auto& m : c.host_mounts)
        if (auto g = m.peer_group(); !g.empty()) host_groups.insert(g);
    std::string wanted =
        c.has_config() && c.config->linux ? c.config->linux->rootfs_propagation : "";
    bool shared_ok = wanted == "shared" || wanted == "rshared";
    std::vector<std::string> shared;
    for (const auto& m : c.init.mounts)
        if (auto g = m.peer_group(); !g.empty() && host_groups.count(g))
            shared.push_back(m.point + " (shared:" + g + ")");
    Check p{"filesystem.propagation", "filesystem",
            c.has_config() ? Kind::Conformance : Kind::Hardening, Level::Error};
    p.expected =
        shared_ok ? "shared with the host, as configured" : "no peer group shared with the host";
    p.observed = shared.empty() ? "none shared" : list(shared);
    p.explanation = shared.empty() || shared_ok
                        ? "mount events do not cross between host and container"
                        : "mounts propagate between the host and the container";
    r.add(p, shared.empty() || shared_ok);
}

} // namespace

void check_filesystem(const Context& c, Report& r) {
    const MountEntry* root = top_mount(c.init.mounts, "/");
    bool ro_root = root && root->has_option("ro");
    Check w{"hardening.root.writable", "filesystem", Kind::Hardening, Level::Info};
    w.expected = "a read-only root filesystem";
    w.observed =
        root ? (ro_root ? "read-only" : "writable (" + root->fstype + ")") : "no root mount";
    w.explanation = ro_root ? "the image cannot be changed" : "the container can change its image";
    r.add(w, ro_root);
    check_host_mounts(c, r);
    check_propagation(c, r);
    if (!c.has_config()) return;
    Check rr{"filesystem.root-readonly", "filesystem", Kind::Conformance, Level::Error};
    bool want_ro = c.config->root.readonly;
    rr.expected = want_ro ? "read-only" : "not required";
    rr.observed = ro_root ? "read-only" : "writable";
    rr.explanation =
        !want_ro || ro_root ? "as configured" : "root.readonly is set but the root is writable";
    r.add(rr, !want_ro || ro_root);
    if (c.config->linux) check_paths(c, r);
    check_undeclared(c, r);
}

} // namespace corral::audit
