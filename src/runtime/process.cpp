#include "runtime/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/ioprio.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

#include "common/child_error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"
#include "ns/procfs.hpp"

namespace corral::runtime {

void CStringArray::set(std::vector<std::string> v) {
    items = std::move(v);
    ptrs.clear();
    for (auto& s : items)
        ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
}

Result<int> rlimit_resource(const std::string& name) {
    static const std::pair<const char*, int> table[] = {
        {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
        {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    };
    for (const auto& [n, r] : table)
        if (name == n) return r;
    return plain_error("process.rlimits:", "unknown rlimit type \"" + name + "\"");
}

static Result<SchedAttr> plan_scheduler(const spec::Scheduler& s) {
    static const std::pair<const char*, uint32_t> policies[] = {
        {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
        {"SCHED_BATCH", 3}, {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
    };
    static const std::pair<const char*, uint64_t> flags[] = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
        {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
        {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
    };
    SchedAttr a;
    bool found = false;
    for (const auto& [n, v] : policies)
        if (s.policy == n) a.policy = v, found = true;
    if (!found)
        return plain_error("process.scheduler.policy:", "unknown policy \"" + s.policy + "\"");
    for (const auto& f : s.flags) {
        bool known = false;
        for (const auto& [n, v] : flags)
            if (f == n) a.flags |= v, known = true;
        if (!known) return plain_error("process.scheduler.flags:", "unknown flag \"" + f + "\"");
    }
    a.nice = s.nice.value_or(0);
    a.priority = static_cast<uint32_t>(s.priority.value_or(0));
    a.runtime = s.runtime.value_or(0);
    a.deadline = s.deadline.value_or(0);
    a.period = s.period.value_or(0);
    return a;
}

static Result<int> plan_ioprio(const spec::IoPriority& io) {
    int cls;
    if (io.io_class == "IOPRIO_CLASS_RT")
        cls = IOPRIO_CLASS_RT;
    else if (io.io_class == "IOPRIO_CLASS_BE")
        cls = IOPRIO_CLASS_BE;
    else if (io.io_class == "IOPRIO_CLASS_IDLE")
        cls = IOPRIO_CLASS_IDLE;
    else
        return plain_error("process.ioPriority.class:", "unknown class \"" + io.io_class + "\"");
    if (io.priority < 0 || io.priority > 7)
        return plain_error("process.ioPriority.priority:", "must be 0 to 7");
    return IOPRIO_PRIO_VALUE(cls, io.priority);
}

static Result<cpu_set_t> plan_cpus(const std::string& list) {
    cpu_set_t set;
    CPU_ZERO(&set);
    size_t pos = 0;
    while (pos < list.size()) {
        size_t end = list.find(',', pos);
        std::string part = list.substr(pos, end == std::string::npos ? end : end - pos);
        unsigned lo, hi;
        char extra;
        if (std::sscanf(part.c_str(), "%u-%u%c", &lo, &hi, &extra) == 2) {
        } else if (std::sscanf(part.c_str(), "%u%c", &lo, &extra) == 1) {
            hi = lo;
        } else {
            return plain_error("process.execCPUAffinity:", "bad cpu list \"" + list + "\"");
        }
        if (hi < lo || hi >= CPU_SETSIZE)
            return plain_error("process.execCPUAffinity:", "bad cpu range \"" + part + "\"");
        for (unsigned c = lo; c <= hi; ++c)
            CPU_SET(c, &set);
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return set;
}

Result<ProcessPlan> plan_process(const spec::Process& p, int preserve_fds,
                                 std::vector<std::string>* warnings) {
    ProcessPlan plan;
    plan.argv.set(p.args);
    plan.envp.set(p.env);
    for (const auto& e : p.env)
        if (e.rfind("PATH=", 0) == 0) plan.path_env = e.substr(5);
    plan.cwd = p.cwd.empty() ? "/" : p.cwd;
    plan.uid = p.user.uid;
    plan.gid = p.user.gid;
    plan.additional_gids.assign(p.user.additional_gids.begin(), p.user.additional_gids.end());
    if (p.user.umask) plan.umask = static_cast<mode_t>(*p.user.umask);
    for (const auto& r : p.rlimits) {
        auto res = rlimit_resource(r.type);
        if (!res) return res.error();
        RlimitPlan rp{*res, {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)}, r.type};
        // Raising a hard limit needs CAP_SYS_RESOURCE, which this runtime may
        // not have: say so before cloning instead of failing deep in the child.
        rlimit cur{};
        if (getrlimit(*res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
            (r.hard > cur.rlim_max || r.hard == RLIM_INFINITY)) {
            __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
            __user_cap_data_struct data[2] = {};
            bool have_resource = syscall(SYS_capget, &hdr, data) == 0 &&
                                 (data[0].effective & (1U << CAP_SYS_RESOURCE));
            if (!have_resource)
                return Error{EPERM, "process.rlimits: " + r.type + ":",
                             "hard limit " + std::to_string(r.hard) +
                                 " is above the runtime's hard limit " +
                                 std::to_string(cur.rlim_max) + " and CAP_SYS_RESOURCE is missing"};
        }
        plan.rlimits.push_back(rp);
    }
    plan.oom_score_adj = p.oom_score_adj;
    if (p.scheduler) {
        auto s = plan_scheduler(*p.scheduler);
        if (!s) return s.error();
        plan.scheduler = *s;
    }
    if (p.io_priority) {
        auto io = plan_ioprio(*p.io_priority);
        if (!io) return io.error();
        plan.ioprio = *io;
    }
    if (p.exec_cpu_affinity) {
        const std::string& l = p.exec_cpu_affinity->final.empty() ? p.exec_cpu_affinity->initial
                                                                  : p.exec_cpu_affinity->final;
        if (!l.empty()) {
            auto set = plan_cpus(l);
            if (!set) return set.error();
            plan.cpu_affinity = *set;
        }
    }
    if (p.capabilities) {
        std::vector<std::string> skipped;
        auto caps = plan_capabilities(*p.capabilities, &skipped);
        if (!caps) return caps.error();
        plan.caps = *caps;
        for (const auto& s : skipped)
            if (warnings)
                warnings->push_back("capability " + s + " skipped: unknown to this kernel");
        if (caps->dropped_ambient)
            log::debug("ambient capabilities that are not permitted and inheritable skipped");
    }
    plan.no_new_privileges = p.no_new_privileges;
    if (!p.apparmor_profile.empty()) plan.apparmor_exec = "exec " + p.apparmor_profile;
    plan.preserve_fds = preserve_fds;
    struct stat self {};
    if (stat("/proc/self/exe", &self) < 0) return sys_error("stat", "/proc/self/exe");
    plan.runtime_dev = self.st_dev;
    plan.runtime_ino = self.st_ino;
    return plan;
}

Status check_lsm_available(const spec::Process& p) {
    if (!p.apparmor_profile.empty()) {
        auto on = read_file("/sys/module/apparmor/parameters/enabled");
        if (!on || on->empty() || (*on)[0] != 'Y')
            return plain_error("process.apparmorProfile:",
                               "profile \"" + p.apparmor_profile +
                                   "\" requested but AppArmor is not enabled on this host");
    }
    // Applying a label is not implemented (no SELinux host to test it on):
    // refused either way, never accepted and silently dropped.
    if (!p.selinux_label.empty())
        return plain_error("process.selinuxLabel:",
                           "label \"" + p.selinux_label + "\" requested but " +
                               (access("/sys/fs/selinux/enforce", F_OK) != 0
                                    ? "SELinux is not enabled on this host"
                                    : "corral does not apply SELinux labels yet"));
    return {};
}

namespace {

// The profile goes on at execve ("exec", as runc does), so setup itself is
// not confined by it. The attr file is opened below a verified procfs root:
// a fake /proc in the image must not swallow the write and leave the
// process unconfined (CVE-2019-16884). Kernels before 5.8 only have the
// shared attr/exec.
bool apply_apparmor_on_exec(const ProcessPlan& p) {
    UniqueFd proc(ns::open_procfs_root());
    if (!proc) return child_fail(errno, "open verified procfs", "/proc");
    // Named with /proc for the error; opened relative to the verified root.
    constexpr std::size_t proc_prefix = sizeof("/proc/") - 1;
    const char* path = "/proc/thread-self/attr/apparmor/exec";
    UniqueFd fd(ns::open_in_procfs(proc.get(), path + proc_prefix, O_WRONLY));
    if (!fd && errno == ENOENT) {
        path = "/proc/thread-self/attr/exec";
        fd.reset(ns::open_in_procfs(proc.get(), path + proc_prefix, O_WRONLY));
    }
    if (!fd) return child_fail(errno, "open", path);
    if (sys::write_all(fd.get(), p.apparmor_exec.data(), p.apparmor_exec.size()) != 0) {
        // The plan holds the attr file's command, "exec <profile>"; the error names the profile.
        constexpr std::size_t command_prefix = sizeof("exec ") - 1;
        return child_fail(errno,
                          "apply apparmor profile:", p.apparmor_exec.c_str() + command_prefix);
    }
    return true;
}

} // namespace

bool apply_process_attributes(const ProcessPlan& p) {
    for (const auto& r : p.rlimits)
        if (setrlimit(static_cast<__rlimit_resource>(r.resource), &r.value) < 0)
            return child_fail(errno, "set rlimit", r.name.c_str());
    if (p.oom_score_adj) {
        char v[16];
        std::snprintf(v, sizeof v, "%d", *p.oom_score_adj);
        if (!ns::write_proc_file("self/oom_score_adj", v)) return false;
    }
    if (p.scheduler && sys::sched_setattr_raw(0, &*p.scheduler) < 0)
        return child_fail(errno, "set scheduler");
    if (p.ioprio && sys::ioprio_set(IOPRIO_WHO_PROCESS, 0, *p.ioprio) < 0)
        return child_fail(errno, "set io priority");
    if (p.personality && personality(*p.personality) < 0)
        return child_fail(errno, "set personality");
    if (p.cpu_affinity && sched_setaffinity(0, sizeof(cpu_set_t), &*p.cpu_affinity) < 0)
        return child_fail(errno, "set cpu affinity");
    if (p.umask) umask(*p.umask);
    if (!p.apparmor_exec.empty() && !apply_apparmor_on_exec(p)) return false;
    return true;
}

bool apply_credentials(const ProcessPlan& p) {
    // Keep the permitted set across setresuid so the configured sets can be
    // installed afterwards; the bounding set is dropped while still root.
    if (p.caps) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return child_fail(errno, "set keepcaps");
        if (!drop_bounding_set(*p.caps)) return false;
    }
    // A user namespace made by an unprivileged caller has setgroups denied
    // (the kernel's price for its gid_map); with no groups asked for, the
    // caller's own supplementary groups stay, as with runc.
    if (setgroups(p.additional_gids.size(), p.additional_gids.data()) < 0 &&
        !(errno == EPERM && p.additional_gids.empty()))
        return child_fail(errno, "setgroups");
    if (setresgid(p.gid, p.gid, p.gid) < 0) return child_fail(errno, "setresgid");
    if (setresuid(p.uid, p.uid, p.uid) < 0) return child_fail(errno, "setresuid");
    if (p.caps) {
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return child_fail(errno, "clear keepcaps");
        if (!apply_capability_sets(*p.caps)) return false;
    } else if (!clear_inherited_capabilities()) {
        return false;
    }
    return true;
}

bool apply_no_new_privs(const ProcessPlan& p) {
    if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return child_fail(errno, "set no_new_privs");
    return true;
}

static bool is_executable_file(const char* path) {
    struct stat st {};
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool is_runtime_binary(const ProcessPlan& p, const char* path) {
    struct stat st {};
    return stat(path, &st) == 0 && st.st_dev == p.runtime_dev && st.st_ino == p.runtime_ino;
}

bool resolve_executable(const ProcessPlan& p, char* buf, size_t size) {
    const char* name = p.argv.items.empty() ? "" : p.argv.items[0].c_str();
    if (std::strchr(name, '/')) {
        std::snprintf(buf, size, "%s", name);
        if (is_runtime_binary(p, buf))
            return child_fail(EPERM,
                              "exec: refusing to run the runtime binary inside a container:", name);
        if (is_executable_file(buf)) return true;
        return child_fail(errno ? errno : EACCES, "exec", name);
    }
    const char* path = p.path_env.empty()
                           ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                           : p.path_env.c_str();
    while (*path) {
        const char* end = std::strchr(path, ':');
        size_t len = end ? static_cast<size_t>(end - path) : std::strlen(path);
        std::snprintf(buf, size, "%.*s/%s", static_cast<int>(len), len ? path : ".", name);
        if (is_runtime_binary(p, buf))
            return child_fail(EPERM,
                              "exec: refusing to run the runtime binary inside a container:", buf);
        if (is_executable_file(buf)) return true;
        if (!end) break;
        path = end + 1;
    }
    return child_fail(ENOENT, "exec: executable file not found in $PATH:", name);
}

void reset_signal_dispositions() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
}

bool prepare_fds_for_exec(const ProcessPlan& p, int keep_fd, int keep_fd2) {
    // Everything is closed now, so no /proc/self/fd/N can name a host file
    // at execve; only the kept fds (close-on-exec: the exec fifo's writer,
    // see open_exec_fifo, and the memfd of corral-init) live until execve.
    unsigned first_closed = 3U + static_cast<unsigned>(p.preserve_fds);
    unsigned keep[2] = {keep_fd >= 0 ? static_cast<unsigned>(keep_fd) : ~0U,
                        keep_fd2 >= 0 ? static_cast<unsigned>(keep_fd2) : ~0U};
    if (keep[1] < keep[0]) std::swap(keep[0], keep[1]);
    unsigned from = first_closed;
    for (unsigned k : keep) {
        if (k == ~0U || k < from) continue;
        if (k > from && syscall(SYS_close_range, from, k - 1, 0) < 0)
            return child_fail(errno, "close fds before exec");
        from = k + 1;
    }
    if (syscall(SYS_close_range, from, ~0U, 0) < 0)
        return child_fail(errno, "close fds before exec");
    for (int fd = 3; fd < static_cast<int>(first_closed); ++fd) {
        if (fd == keep_fd || fd == keep_fd2) continue;
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return true;
}

} // namespace corral::runtime
