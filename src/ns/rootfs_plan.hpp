// Everything the container child needs to build its filesystem view,
// computed in the parent before clone. Pure data: the child only reads it.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace corral::ns {

struct MountPlan {
    std::string source;      // absolute host path for binds (relative sources resolved
                             // against the bundle), the fs name otherwise
    std::string destination; // absolute path inside the container
    std::string fstype;      // "" for bind mounts
    unsigned long flags = 0; // MS_* for the initial mount(2) (without propagation)
    unsigned long propagation = 0; // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC)
    std::string data;              // fs-specific options ("size=64k,mode=755")
    bool bind = false;
    bool recursive = false;       // rbind
    bool remount_after_bind = false; // bind flags (ro, nosuid...) need a MS_REMOUNT pass
    bool source_is_dir = true;    // binds: mountpoint created as dir or as empty file
};

struct DevicePlan {
    std::string path; // absolute inside the container, e.g. /dev/null
    mode_t mode = 0;  // S_IFCHR|0666 etc.
    dev_t dev = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct SysctlPlan {
    std::string key;   // as given: "net.ipv4.ip_forward"
    std::string path;  // relative to /proc: "sys/net/ipv4/ip_forward"
    std::string value;
};

struct RootfsPlan {
    std::string rootfs;              // absolute host path
    bool readonly = false;
    bool no_pivot = false;
    unsigned long root_propagation = 0; // MS_PRIVATE|MS_REC unless rootfsPropagation says otherwise
    std::vector<MountPlan> mounts;   // in config order
    bool create_default_devices = true;
    std::vector<DevicePlan> devices; // defaults first, then linux.devices
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::vector<SysctlPlan> sysctls;
    std::string mount_label;
};

} // namespace corral::ns
