// Everything the container child needs to build its filesystem view,
// computed in the parent before clone. Pure data: the child only reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::ns {

// One v1 hierarchy of a cgroup view (cgroup_view.hpp): the container's group
// on the host, bound at <destination>/<name>; `links` are the names of its
// other controllers ("cpu" -> "cpu,cpuacct").
struct CgroupV1Bind {
    std::string source;
    std::string name;
    std::vector<std::string> links;
};

struct MountPlan {
    std::string source;            // absolute host path for binds (relative sources resolved
                                   // against the bundle), the fs name otherwise
    std::string destination;       // absolute, lexically clean path inside the container
    std::string fstype;            // "" for bind mounts; "cgroup" is planned as "cgroup2" and
                                   // may become a v1 view at create (cgroup_view)
    unsigned long flags = 0;       // MS_* to set; binds carry MS_BIND (|MS_REC) here too and get
                                   // the rest through the MS_REMOUNT pass (no propagation bits)
    unsigned long clear_flags = 0; // MS_* asked off (rw, suid...): a bind remount starts from
                                   // the source mount's flags, minus these, plus `flags`
    unsigned long propagation = 0; // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC)
    std::string data;              // fs-specific options ("size=64k,mode=755")
    bool bind = false;
    bool recursive = false;          // rbind
    bool remount_after_bind = false; // bind flags (ro, nosuid...) need a MS_REMOUNT pass
    bool source_is_dir = true;       // binds: mountpoint created as dir or as empty file
    uint64_t attr_set = 0;           // MOUNT_ATTR_* applied recursively (rro, rnosuid...)
    uint64_t attr_clr = 0;
    // ID-mapped bind (idmap/ridmap, or the mount's own uid/gidMappings). The
    // mapping is either explicit maps or a joined user namespace's path.
    bool idmap = false;
    bool idmap_recursive = false; // ridmap: the submounts of an rbind are mapped too
    std::vector<spec::IdMapping> idmap_uids, idmap_gids;
    std::string idmap_userns; // user namespace path whose maps apply, when not explicit
    // The detached, already mapped tree (open_tree + mount_setattr) made by
    // prepare_idmapped_mounts in the parent: the child only moves it into
    // place, as it may not fork the helper a mapping needs. -1 until then.
    int tree_fd = -1;
    bool tmpcopyup = false;   // a tmpfs starting with a copy of what it covers (copy_up.hpp)
    bool cgroup_view = false; // the config said "cgroup": the host's layout decides the view
    std::vector<CgroupV1Bind> cgroup_v1; // non-empty: a tmpfs holding one bind per hierarchy
};

struct DevicePlan {
    std::string path; // absolute inside the container, under /dev, e.g. /dev/null
    mode_t mode = 0;  // S_IFCHR|0666 etc.
    dev_t dev = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct SysctlPlan {
    std::string key;  // as given: "net.ipv4.ip_forward"
    std::string path; // relative to /proc: "sys/net/ipv4/ip_forward"
    std::string value;
};

struct RootfsPlan {
    std::string rootfs; // absolute host path, symlinks resolved
    bool readonly = false;
    bool no_pivot = false;
    unsigned long root_propagation = 0; // MS_PRIVATE|MS_REC unless rootfsPropagation says otherwise
    std::vector<MountPlan> mounts;      // in config order
    // False when /dev is bind-mounted from the host: then no device node or
    // /dev link is created, since they would land in the host's /dev.
    bool create_default_devices = true;
    std::vector<DevicePlan> devices; // defaults first, then linux.devices (same path replaces)
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::vector<SysctlPlan> sysctls;
    std::string mount_label;
};

// Builds the plan from a validated spec. bundle_dir anchors root.path and
// relative bind sources. Stats the rootfs and every bind source (to decide
// between a directory and a file mountpoint), nothing else of the host.
Result<RootfsPlan> plan_rootfs(const spec::Spec& spec, const std::string& bundle_dir,
                               bool no_pivot);

// Lexical clean-up of a container path: absolute, no "//", "." or "..".
// ("a/../b" → "/b"; ".." above the root stays at the root.)
std::string clean_container_path(const std::string& path);

} // namespace corral::ns
