#include "ns/mount_options.hpp"

#include <sys/mount.h>

namespace corral::ns {

namespace {

// One word of the options list: set `set`, clear `clr`. A word that turns a
// flag on also withdraws an earlier explicit "off" for it, and vice versa, so
// the last word wins as with mount(8).
struct FlagWord {
    const char* word;
    unsigned long set;
    unsigned long clr;
};

constexpr FlagWord kFlagWords[] = {
    {"defaults", 0, 0},
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"suid", 0, MS_NOSUID},
    {"nosuid", MS_NOSUID, 0},
    {"dev", 0, MS_NODEV},
    {"nodev", MS_NODEV, 0},
    {"exec", 0, MS_NOEXEC},
    {"noexec", MS_NOEXEC, 0},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"remount", MS_REMOUNT, 0},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
    // The atime modes exclude each other: choosing one clears the other two.
    {"atime", 0, MS_NOATIME},
    {"noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME},
    {"diratime", 0, MS_NODIRATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME},
    {"nostrictatime", 0, MS_STRICTATIME},
    {"lazytime", MS_LAZYTIME, 0},
    {"nolazytime", 0, MS_LAZYTIME},
    {"silent", MS_SILENT, 0},
    {"loud", 0, MS_SILENT},
    {"symfollow", 0, MS_NOSYMFOLLOW},
    {"nosymfollow", MS_NOSYMFOLLOW, 0},
};

// Recursive attributes, applied with mount_setattr(AT_RECURSIVE) because a
// MS_REMOUNT only reaches the top mount of an rbind.
struct AttrWord {
    const char* word;
    uint64_t set;
    uint64_t clr;
};

constexpr AttrWord kAttrWords[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
    // The kernel wants the whole atime field cleared whenever one mode is
    // set (EINVAL otherwise), so every atime word clears MOUNT_ATTR__ATIME.
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
};

} // namespace

unsigned long propagation_flag(const std::string& word) {
    if (word == "shared") return MS_SHARED;
    if (word == "rshared") return MS_SHARED | MS_REC;
    if (word == "slave") return MS_SLAVE;
    if (word == "rslave") return MS_SLAVE | MS_REC;
    if (word == "private") return MS_PRIVATE;
    if (word == "rprivate") return MS_PRIVATE | MS_REC;
    if (word == "unbindable") return MS_UNBINDABLE;
    if (word == "runbindable") return MS_UNBINDABLE | MS_REC;
    return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions o;
    for (const std::string& opt : options) {
        if (opt.empty()) continue;
        if (opt == "bind" || opt == "rbind") {
            o.bind = true;
            o.recursive = opt == "rbind";
            continue;
        }
        if (unsigned long p = propagation_flag(opt)) {
            o.propagation = p;
            continue;
        }
        if (opt == "idmap" || opt == "ridmap") {
            o.idmap = true;
            o.idmap_recursive = opt == "ridmap";
            continue;
        }
        if (opt == "tmpcopyup") {
            o.tmpcopyup = true;
            continue;
        }
        bool known = false;
        for (const FlagWord& w : kFlagWords) {
            if (opt != w.word) continue;
            o.flags = (o.flags & ~w.clr) | w.set;
            o.clear = (o.clear & ~w.set) | w.clr;
            known = true;
            break;
        }
        for (const AttrWord& w : kAttrWords) {
            if (known || opt != w.word) continue;
            o.attr_set = (o.attr_set & ~w.clr) | w.set;
            o.attr_clr = (o.attr_clr & ~w.set) | w.clr;
            known = true;
            break;
        }
        if (known) continue;
        if (!o.data.empty()) o.data += ',';
        o.data += opt;
    }
    if (o.bind) o.flags |= MS_BIND | (o.recursive ? MS_REC : 0);
    return o;
}

} // namespace corral::ns
