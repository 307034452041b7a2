// The container process, planned in the parent (argv/envp as ready char*
// arrays, every numeric conversion done) and applied in the child.
#pragma once

#include <optional>
#include <sched.h>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "common/result.hpp"
#include "runtime/capabilities.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

// Strings with a NULL-terminated char* view, built once before clone.
struct CStringArray {
    std::vector<std::string> items;
    std::vector<char*> ptrs;
    void set(std::vector<std::string> v);
    char* const* get() const { return const_cast<char* const*>(ptrs.data()); }
};

struct RlimitPlan {
    int resource = 0;
    rlimit value{};
    std::string name;
};

struct SchedAttr { // struct sched_attr of the kernel ABI
    uint32_t size = 48;
    uint32_t policy = 0;
    uint64_t flags = 0;
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t runtime = 0, deadline = 0, period = 0;
};

struct ProcessPlan {
    CStringArray argv, envp;
    std::string path_env; // PATH from envp, for the lookup inside the rootfs
    std::string cwd;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> additional_gids;
    std::optional<mode_t> umask;
    std::vector<RlimitPlan> rlimits;
    std::optional<int> oom_score_adj;
    std::optional<SchedAttr> scheduler;
    std::optional<int> ioprio;
    std::optional<unsigned long> personality;
    std::optional<cpu_set_t> cpu_affinity;
    std::optional<CapSets> caps;
    bool no_new_privileges = false;
    // "exec <profile>" for the AppArmor attr file: the profile takes effect
    // at execve. Empty: the process keeps the runtime's confinement.
    std::string apparmor_exec;
    int preserve_fds = 0;
    // The corral binary itself: the init still runs its image until execve,
    // so an entrypoint of /proc/self/exe would run the host binary inside the
    // container, where it can be rewritten (CVE-2019-5736). Refused by inode.
    dev_t runtime_dev = 0;
    ino_t runtime_ino = 0;
};

Result<int> rlimit_resource(const std::string& name);
// Refuses an AppArmor profile on a host without AppArmor, and any SELinux
// label: the caller asked for confinement it would not get.
Status check_lsm_available(const spec::Process& p);
Result<ProcessPlan> plan_process(const spec::Process& p, int preserve_fds,
                                 std::vector<std::string>* warnings);

// Child side. Each returns false after child_fail().
// rlimits, oom, sched, ioprio..., the AppArmor profile for execve (needs the
// container's /proc mounted).
bool apply_process_attributes(const ProcessPlan& p);
bool apply_credentials(const ProcessPlan& p); // groups, ids, caps
bool apply_no_new_privs(const ProcessPlan& p);
// PATH lookup of argv[0] inside the (already pivoted) root, into buf.
bool resolve_executable(const ProcessPlan& p, char* buf, size_t size);
// Every signal back to SIG_DFL right before execve: a disposition of
// SIG_IGN survives exec, so a caller started under nohup or as a background
// job (SIGINT, SIGQUIT ignored) would otherwise pass that on, and Ctrl-C on
// the container's terminal would do nothing.
void reset_signal_dispositions();

// Closes every fd above stdio and the preserved ones but keep_fd and
// keep_fd2 (close-on-exec fds needed up to execve itself), and clears
// CLOEXEC on the preserved fds 3..3+N-1 so they survive execve.
bool prepare_fds_for_exec(const ProcessPlan& p, int keep_fd, int keep_fd2 = -1);

} // namespace corral::runtime
