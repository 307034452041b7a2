// Translation of an OCI mount's "options" list into mount(2) flags. Pure and
// parent-side: the child only sees the result, copied into a MountPlan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corral::ns {

struct MountOptions {
    unsigned long flags = 0;       // MS_* to set (includes MS_BIND/MS_REC for bind/rbind)
    unsigned long clear = 0;       // MS_* asked off explicitly (rw, suid, dev, exec, atime...)
    unsigned long propagation = 0; // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (|MS_REC); last wins
    bool bind = false;
    bool recursive = false;       // rbind
    uint64_t attr_set = 0;        // MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE): rro, rnosuid...
    uint64_t attr_clr = 0;        // MOUNT_ATTR_* cleared: rrw, rsuid...
    bool idmap = false;           // idmap or ridmap
    bool idmap_recursive = false; // ridmap
    bool tmpcopyup = false;
    std::string data; // the options mount(2) does not know, comma-joined in order
};

// Never fails: unknown words are filesystem options and go to data; empty
// entries are skipped. Later words override earlier ones ("ro","rw" → rw).
MountOptions parse_mount_options(const std::vector<std::string>& options);

// "shared", "rslave", ... → MS_* (with MS_REC for the r- forms); 0 when unknown.
unsigned long propagation_flag(const std::string& word);

} // namespace corral::ns
