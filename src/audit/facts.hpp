// What the kernel says about a process, read from /proc as the auditor sees
// it (the host). Pure readers; parse_* are split out for unit tests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/result.hpp"

namespace corral::audit {

// The eight namespace types, by their /proc/PID/ns name.
inline constexpr const char* kNamespaceTypes[] = {"pid", "net",    "mnt",  "ipc",
                                                  "uts", "cgroup", "user", "time"};

struct NsId {
    uint64_t dev = 0, ino = 0;
    bool operator==(const NsId&) const = default;
};
// "pid" → id, plus "pid_for_children" and "time_for_children"; a type the
// kernel lacks is absent.
using Namespaces = std::map<std::string, NsId>;

struct StatusFacts {
    uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0, cap_bnd = 0, cap_amb = 0;
    int no_new_privs = -1, seccomp = -1, seccomp_filters = -1;
    uid_t euid = 0; // as seen from the auditor's user namespace
    gid_t egid = 0;
    std::string state; // "S (sleeping)"
};
StatusFacts parse_status(std::string_view text);

struct MountEntry {
    int id = 0, parent = 0;
    unsigned major = 0, minor = 0;
    std::string root, point, options, fstype, source, super_options;
    std::vector<std::string> optional; // "shared:1", "master:2"
    bool has_option(std::string_view o) const;
    std::string peer_group() const; // N of "shared:N", or ""
};
// /proc/PID/mountinfo, with its octal escapes (\040) decoded.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

struct Rlimit {
    std::string soft, hard; // as /proc/PID/limits prints them ("unlimited" or digits)
};
// "Max open files" → RLIMIT_NOFILE keyed by the runtime-spec name.
std::map<std::string, Rlimit> parse_limits(std::string_view text);

struct ProcessFacts {
    pid_t pid = 0;
    Namespaces ns;
    StatusFacts status;
    std::string uid_map, gid_map, setgroups;
    std::string cgroup; // /proc/PID/cgroup
    std::optional<int> oom_score_adj;
    std::map<std::string, Rlimit> limits;
    std::vector<MountEntry> mounts;
};

Namespaces read_namespaces(pid_t pid);
Result<ProcessFacts> read_process(pid_t pid);
// Every process whose pid namespace is `pidns` (scans /proc).
std::vector<pid_t> processes_in(const NsId& pidns);

// "0 1000 1\n" lines of a uid_map/gid_map, whitespace-normalised.
std::string normalise_map(std::string_view text);

} // namespace corral::audit
