// Writes into procfs through a handle we have verified ourselves
// (SECURITY.md class 3: CVE-2019-16884, CVE-2019-19921, CVE-2025-52881).
// A hostile rootfs or a racer may have put a symlink, a bind mount or a fake
// filesystem where /proc/sys/... should be; the handle is the root inode of
// a real procfs, and lookups below it refuse symlinks, magic links, ".."
// and mount crossings. Child-safe.
#pragma once

namespace corral::ns {

// O_PATH fd of the procfs root at `proc_path` ("/proc" in the container
// after pivot_root), or -1 with errno (EXDEV when it is not a procfs root).
int open_procfs_root(const char* proc_path = "/proc");

// openat below a verified procfs root. `rel` is relative ("sys/kernel/x");
// a leading "self/" or "thread-self/" is rewritten to the pid (and tid) the
// procfs itself reports, since those are symlinks the lookup would refuse.
int open_in_procfs(int proc_fd, const char* rel, int flags);

// Writes `value` to /proc/<rel_path> (e.g. "self/oom_score_adj",
// "sys/net/ipv4/ip_forward"). On failure records child_fail and returns
// false.
bool write_proc_file(const char* rel_path, const char* value);

} // namespace corral::ns
