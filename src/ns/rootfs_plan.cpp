#include "ns/rootfs_plan.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns/mount_options.hpp"
#include "spec/spec.hpp"

namespace corral::ns {

namespace {

std::string join_under(const std::string& base, const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    if (base.empty() || base.back() == '/') return base + path;
    return base + "/" + path;
}

bool starts_with_dir(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                           path[dir.size()] == '/');
}

// Filesystems that take an SELinux context= in their data. procfs, sysfs and
// cgroupfs carry fixed labels and reject it; binds have no data at all.
bool takes_mount_label(const std::string& fstype) {
    return fstype != "proc" && fstype != "sysfs" && fstype != "cgroup" && fstype != "cgroup2" &&
           fstype != "mqueue";
}

// The runtime itself works through /proc after pivot_root (masks, remounts
// by /proc/self/fd/N, sysctls): an image-controlled mount over /proc/self,
// /proc/1/fd or /proc/sys could steer those writes (CVE-2019-19921,
// CVE-2025-52881). Only procfs on /proc itself and the files that lxcfs and
// its kind replace are allowed, as runc allows.
bool proc_destination_allowed(const std::string& dest) {
    if (dest != "/proc" && dest.rfind("/proc/", 0) != 0) return true;
    if (dest == "/proc") return true; // checked below: procfs only
    static const char* const kAllowed[] = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",
        "/proc/stat",    "/proc/swaps",     "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo",  "/proc/sys/kernel/ns_last_pid",
    };
    for (const char* a : kAllowed)
        if (dest == a) return true;
    return false;
}

// runtime-spec 1.2: a mount's own maps win; without them idmap/ridmap take
// the container's user namespace (its config maps, or the joined namespace
// itself). Mappings without either option are an idmap too, as runc reads
// configs written for 1.1, which had the fields but not the options.
Status plan_idmap(MountPlan& p, const spec::Mount& m, const spec::Linux* lx,
                  const std::string& what) {
    if (!p.bind) return plain_error(what + ":", "id-mapped mounts are only supported for binds");
    if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) {
        if (m.uid_mappings.empty() || m.gid_mappings.empty())
            return plain_error(what + ":", "uidMappings and gidMappings must be given together");
        p.idmap_uids = m.uid_mappings;
        p.idmap_gids = m.gid_mappings;
        return {};
    }
    const spec::Namespace* user = lx ? lx->find_namespace("user") : nullptr;
    if (!user)
        return plain_error(what + ":",
                           "idmap without uidMappings and gidMappings needs a user namespace");
    if (!user->path.empty()) {
        p.idmap_userns = user->path;
        return {};
    }
    if (lx->uid_mappings.empty() || lx->gid_mappings.empty())
        return plain_error(what + ":", "idmap needs linux.uidMappings and linux.gidMappings");
    p.idmap_uids = lx->uid_mappings;
    p.idmap_gids = lx->gid_mappings;
    return {};
}

Result<MountPlan> plan_mount(const spec::Mount& m, const std::string& bundle,
                             const std::string& label, const spec::Linux* lx) {
    MountPlan p;
    if (m.destination.empty()) return plain_error("mount destination is empty");
    p.destination = clean_container_path(m.destination);
    const std::string what = "mount " + p.destination;
    if (p.destination == "/") return plain_error(what + ":", "cannot mount over the rootfs");
    if (!proc_destination_allowed(p.destination))
        return plain_error(what + ":",
                           "mounts inside /proc are limited to a few files that lxcfs-like "
                           "tools replace");

    MountOptions o = parse_mount_options(m.options);
    if (o.tmpcopyup && (o.bind || m.type != "tmpfs"))
        return plain_error(what + ":", "tmpcopyup needs a tmpfs");
    p.tmpcopyup = o.tmpcopyup;
    p.bind = o.bind || m.type == "bind";
    p.recursive = o.recursive;
    p.flags = o.flags;
    p.clear_flags = o.clear;
    p.propagation = o.propagation;
    p.attr_set = o.attr_set;
    p.attr_clr = o.attr_clr;
    p.idmap = o.idmap || !m.uid_mappings.empty() || !m.gid_mappings.empty();
    p.idmap_recursive = o.idmap_recursive;
    if (p.idmap) CORRAL_TRY(plan_idmap(p, m, lx, what));

    if (p.bind) {
        if (m.source.empty()) return plain_error(what + ":", "bind mount without a source");
        p.flags |= MS_BIND;
        p.source = join_under(bundle, m.source);
        struct stat st {};
        if (::stat(p.source.c_str(), &st) != 0) return sys_error("mount source", p.source);
        p.source_is_dir = S_ISDIR(st.st_mode);
        // A bind ignores every flag but MS_BIND|MS_REC: the rest needs a
        // second, MS_REMOUNT pass; so does an explicit "rw"/"suid"... that
        // must lift a flag inherited from the source mount.
        p.remount_after_bind =
            (p.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0 || p.clear_flags != 0;
        p.data = o.data; // ignored by the kernel for binds, kept for diagnostics
        return p;
    }

    if (m.type.empty()) return plain_error(what + ":", "no filesystem type");
    // create() decides, from the host's layout, whether "cgroup" stays
    // cgroup2 or becomes the v1 view (cgroup_view.hpp).
    p.cgroup_view = m.type == "cgroup";
    p.fstype = p.cgroup_view ? "cgroup2" : m.type;
    p.source = m.source.empty() ? p.fstype : m.source;
    p.data = o.data;
    if (p.destination == "/proc" && p.fstype != "proc")
        return plain_error(what + ":", "only procfs may be mounted on /proc");
    if (!label.empty() && takes_mount_label(p.fstype)) {
        if (!p.data.empty()) p.data += ',';
        p.data += "context=\"" + label + "\"";
    }
    return p;
}

Result<DevicePlan> plan_device(const spec::Device& d) {
    DevicePlan p;
    p.path = clean_container_path(d.path);
    if (d.path.empty() || d.path[0] != '/' || !starts_with_dir(p.path, "/dev") || p.path == "/dev")
        return plain_error("device " + d.path + ":", "path must be under /dev");
    mode_t type = 0;
    if (d.type == "c" || d.type == "u")
        type = S_IFCHR;
    else if (d.type == "b")
        type = S_IFBLK;
    else if (d.type == "p")
        type = S_IFIFO;
    else
        return plain_error("device " + d.path + ":", "unknown type \"" + d.type + "\"");
    if (d.major < 0 || d.minor < 0 || d.major > UINT32_MAX || d.minor > UINT32_MAX)
        return plain_error("device " + d.path + ":", "major/minor out of range");
    if (d.file_mode && (*d.file_mode & ~07777u))
        return plain_error("device " + d.path + ":", "fileMode has bits beyond 07777");
    p.mode = type | static_cast<mode_t>(d.file_mode.value_or(0666));
    if (type != S_IFIFO)
        p.dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    p.uid = d.uid.value_or(0);
    p.gid = d.gid.value_or(0);
    return p;
}

Result<SysctlPlan> plan_sysctl(const std::string& key, const std::string& value) {
    // "net.ipv4.ip_forward" → "sys/net/ipv4/ip_forward". The slash form
    // ("net/ipv4/conf/eth0.100/forwarding") is refused rather than guessed.
    const std::string what = "sysctl " + key + ":";
    if (key.empty()) return plain_error("sysctl key is empty");
    if (key.find('/') != std::string::npos) return plain_error(what, "key must not contain /");
    SysctlPlan p{key, "sys/", value};
    size_t start = 0;
    for (;;) {
        size_t dot = key.find('.', start);
        std::string seg = key.substr(start, dot == std::string::npos ? dot : dot - start);
        if (seg.empty() || seg == "..") return plain_error(what, "empty or \"..\" segment in key");
        p.path += seg;
        if (dot == std::string::npos) break;
        p.path += '/';
        start = dot + 1;
    }
    return p;
}

} // namespace

std::string clean_container_path(const std::string& path) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        std::string seg = path.substr(i, j - i);
        if (seg == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!seg.empty() && seg != ".") {
            parts.push_back(std::move(seg));
        }
        i = j + 1;
    }
    std::string out;
    for (const auto& s : parts)
        out += "/" + s;
    return out.empty() ? "/" : out;
}

Result<RootfsPlan> plan_rootfs(const spec::Spec& spec, const std::string& bundle_dir,
                               bool no_pivot) {
    RootfsPlan plan;
    plan.no_pivot = no_pivot;
    plan.readonly = spec.root.readonly;

    std::string bundle = bundle_dir;
    if (bundle.empty() || bundle[0] != '/') {
        char cwd[PATH_MAX];
        if (!::getcwd(cwd, sizeof cwd)) return sys_error("getcwd");
        bundle = join_under(cwd, bundle);
    }
    if (spec.root.path.empty()) return plain_error("root.path is empty");
    // Resolved once here so the child works from a clean absolute path:
    // the parent-mount walk before pivot_root strips components lexically.
    std::string root = join_under(bundle, spec.root.path);
    char real[PATH_MAX];
    if (!::realpath(root.c_str(), real)) return sys_error("rootfs", root);
    struct stat st {};
    if (::stat(real, &st) != 0) return sys_error("rootfs", root);
    if (!S_ISDIR(st.st_mode)) return Error{ENOTDIR, "rootfs", root};
    plan.rootfs = real;

    const spec::Linux* lx = spec.linux ? &*spec.linux : nullptr;
    if (lx) plan.mount_label = lx->mount_label;

    plan.root_propagation = MS_PRIVATE | MS_REC;
    if (lx && !lx->rootfs_propagation.empty()) {
        plan.root_propagation = propagation_flag(lx->rootfs_propagation);
        if (plan.root_propagation == 0)
            return plain_error("linux.rootfsPropagation:",
                               "unknown value \"" + lx->rootfs_propagation + "\"");
    }

    // sysfs may only be mounted by the owner of the network namespace: a
    // new user namespace sharing the host's network gets the host's /sys
    // bound read-only instead, as runc does.
    auto is_new = [lx](const char* type) {
        const spec::Namespace* n = lx ? lx->find_namespace(type) : nullptr;
        return n && n->path.empty();
    };
    bool sysfs_as_bind = lx && lx->find_namespace("user") && !is_new("network");
    for (spec::Mount m : spec.mounts) {
        if (sysfs_as_bind && m.type == "sysfs") {
            m.type = "bind";
            m.source = "/sys";
            m.options = {"rbind", "nosuid", "noexec", "nodev", "ro"};
        }
        auto mp = plan_mount(m, bundle, plan.mount_label, lx);
        if (!mp) return mp.error();
        // A host /dev bound in brings its own nodes; ours would be written
        // into the host's /dev.
        if (mp->destination == "/dev" && mp->bind) plan.create_default_devices = false;
        plan.mounts.push_back(std::move(*mp));
    }

    if (plan.create_default_devices) {
        struct Default {
            const char* path;
            unsigned major, minor;
        };
        static constexpr Default kDefaults[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5},
                                                {"/dev/full", 1, 7},    {"/dev/random", 1, 8},
                                                {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
        for (const Default& d : kDefaults)
            plan.devices.push_back(
                DevicePlan{d.path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0});
        if (lx) {
            for (const spec::Device& d : lx->devices) {
                auto dp = plan_device(d);
                if (!dp) return dp.error();
                bool replaced = false;
                for (DevicePlan& existing : plan.devices) {
                    if (existing.path != dp->path) continue;
                    existing = *dp;
                    replaced = true;
                }
                if (!replaced) plan.devices.push_back(std::move(*dp));
            }
        }
    }

    if (lx) {
        for (const auto& [key, value] : lx->sysctl) {
            auto sp = plan_sysctl(key, value);
            if (!sp) return sp.error();
            plan.sysctls.push_back(std::move(*sp));
        }
        for (const auto& p : lx->masked_paths)
            plan.masked_paths.push_back(clean_container_path(p));
        for (const auto& p : lx->readonly_paths)
            plan.readonly_paths.push_back(clean_container_path(p));
    }
    return plan;
}

} // namespace corral::ns
