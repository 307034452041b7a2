// Credentials of every process of the container: the five capability sets,
// no_new_privs, seccomp, and (where the kernel lets us dump it) whether the
// filter attached is the one compiled from the config.
#include <cctype>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <sstream>
#include <sys/capability.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "audit/context.hpp"
#include "common/files.hpp"
#include "runtime/capabilities.hpp"
#include "seccomp/compile.hpp"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

namespace corral::audit {

namespace {

// Kubernetes' baseline: what a container may hold beyond the default set is
// privilege. Restricted allows NET_BIND_SERVICE alone (see configs/audit).
constexpr uint64_t bit(int c) {
    return 1ULL << c;
}
constexpr uint64_t kBaselineCaps =
    bit(CAP_AUDIT_WRITE) | bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FOWNER) |
    bit(CAP_FSETID) | bit(CAP_KILL) | bit(CAP_MKNOD) | bit(CAP_NET_BIND_SERVICE) |
    bit(CAP_SETFCAP) | bit(CAP_SETGID) | bit(CAP_SETPCAP) | bit(CAP_SETUID) | bit(CAP_SYS_CHROOT);
constexpr uint64_t kRestrictedCaps = bit(CAP_NET_BIND_SERVICE);

struct Set {
    const char* name;
    uint64_t StatusFacts::*observed;
    uint64_t runtime::CapSets::*configured;
};
const Set kSets[] = {
    {"bounding", &StatusFacts::cap_bnd, &runtime::CapSets::bounding},
    {"effective", &StatusFacts::cap_eff, &runtime::CapSets::effective},
    {"permitted", &StatusFacts::cap_prm, &runtime::CapSets::permitted},
    {"inheritable", &StatusFacts::cap_inh, &runtime::CapSets::inheritable},
    {"ambient", &StatusFacts::cap_amb, &runtime::CapSets::ambient},
};

// The id inside the process's user namespace of a host id, through its map
// (lines "inside outside count" as the host reads them); -1 when unmapped.
long inside_id(const std::string& map, uint32_t host) {
    std::istringstream in(map);
    unsigned long a, b, n;
    while (in >> a >> b >> n)
        if (host >= b && host - b < n) return static_cast<long>(a + (host - b));
    return -1;
}

std::string pid_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : "; ") + x;
    return s;
}

// The newest filter of `pid` (index 0), with the process stopped under
// ptrace for as short as possible. Empty when the kernel does not allow it
// (no CONFIG_CHECKPOINT_RESTORE, or the caller lacks CAP_SYS_ADMIN).
std::vector<sock_filter> dump_filter(pid_t pid, std::string* why) {
    std::vector<sock_filter> prog;
    if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) < 0) {
        *why = std::string("ptrace seize: ") + std::strerror(errno);
        return prog;
    }
    if (ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) == 0) {
        // A frozen task never reaches the stop: wait a bounded time, never
        // block an audit (or a CI job) on it.
        int st = 0;
        pid_t got = 0;
        for (int i = 0; i < 200 && got == 0; ++i) {
            got = waitpid(pid, &st, __WALL | WNOHANG);
            if (got == 0) usleep(5000);
        }
        if (got != pid) *why = "the process did not stop for ptrace within 1 s";
        if (got == pid) {
            long n = ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid,
                            reinterpret_cast<void*>(0), nullptr);
            if (n > 0) {
                prog.resize(static_cast<size_t>(n));
                if (ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid,
                           reinterpret_cast<void*>(0), prog.data()) != n)
                    prog.clear();
            }
            if (prog.empty())
                *why = std::string("PTRACE_SECCOMP_GET_FILTER: ") + std::strerror(errno);
        }
    }
    ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
    return prog;
}

bool same_program(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].code != b[i].code || a[i].jt != b[i].jt || a[i].jf != b[i].jf || a[i].k != b[i].k)
            return false;
    return true;
}

void check_seccomp_program(const Context& c, Report& r) {
    Check f{"credentials.seccomp.filter", "credentials", Kind::Conformance, Level::Error};
    f.expected = "the filter compiled from linux.seccomp";
    auto prog = seccomp::compile_seccomp(*c.config->linux->seccomp, nullptr);
    if (!prog) {
        r.skip(f, "the config's filter does not compile: " + prog.error().message());
        return;
    }
    if (c.paused) {
        r.skip(f, "the container is paused: reading the filter would need it to stop under ptrace");
        return;
    }
    std::string why;
    auto got = dump_filter(c.init.pid, &why);
    if (got.empty()) {
        r.skip(f, "the kernel does not let us read the filter (" + why + ")");
        return;
    }
    bool same = same_program(got, prog->filter);
    f.expected += " (" + std::to_string(prog->filter.size()) + " instructions)";
    f.observed =
        std::to_string(got.size()) + " instructions" + (same ? ", identical" : ", different");
    f.explanation = same ? "the newest filter of PID 1 is the configured one"
                         : "PID 1 runs another filter than the config's";
    r.add(f, same);
}

// The LSM label of PID 1 against process.apparmorProfile/selinuxLabel, where
// the host runs that LSM; /proc/PID/attr/* answers for whichever is active.
void check_lsm(const Context& c, Report& r) {
    Check l{"credentials.lsm", "credentials", Kind::Conformance, Level::Error};
    std::string base = "/proc/" + std::to_string(c.init.pid) + "/attr/";
    auto trim = [](std::string v) {
        while (!v.empty() && (v.back() == '\n' || v.back() == '\0'))
            v.pop_back();
        return v;
    };
    auto aa = read_file("/sys/module/apparmor/parameters/enabled");
    bool apparmor = aa && !aa->empty() && (*aa)[0] == 'Y';
    bool selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
    if (!apparmor && !selinux) {
        r.skip(l, "no AppArmor or SELinux on this host: there is no label to check");
        return;
    }
    const auto& p = *c.config->process;
    std::string want = apparmor ? p.apparmor_profile : p.selinux_label;
    auto got = read_file(base + (apparmor ? "apparmor/current" : "current"));
    if (!got) {
        r.skip(l, "the process's LSM label is not readable");
        return;
    }
    std::string label = trim(*got);
    l.expected = want.empty() ? "any (none configured)" : want;
    l.observed = label;
    // AppArmor prints "profile (enforce)"; the configured name is its first word.
    bool ok = want.empty() || label == want || label.rfind(want + " ", 0) == 0;
    l.explanation = ok ? "as configured" : "the process runs under another label";
    r.add(l, ok);
}

} // namespace

std::string cap_names(uint64_t mask) {
    std::string s;
    for (int b = 0; b < 64; ++b) {
        if (!(mask & (1ULL << b))) continue;
        char* n = cap_to_name(static_cast<cap_value_t>(b));
        std::string name = n ? n : "cap_" + std::to_string(b);
        if (n) cap_free(n);
        for (auto& ch : name)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        s += (s.empty() ? "" : ", ") + name;
    }
    return s.empty() ? "none" : s;
}

void check_credentials(const Context& c, Report& r) {
    const auto& s = c.init.status;
    Check priv{"hardening.capabilities.privileged", "credentials", Kind::Hardening, Level::Error};
    uint64_t extra = (s.cap_eff | s.cap_prm | s.cap_bnd) & ~kBaselineCaps;
    priv.expected = "at most the baseline set (" + cap_names(kBaselineCaps) + ")";
    priv.observed = extra ? "also " + cap_names(extra) : "within the baseline set";
    priv.explanation = extra ? "capabilities beyond the baseline are privilege (a host-level "
                               "breakout is one syscall away with some of them)"
                             : "no privileged capability";
    r.add(priv, extra == 0);
    Check drop{"hardening.capabilities.drop-all", "credentials", Kind::Hardening, Level::Info};
    uint64_t beyond = (s.cap_eff | s.cap_prm | s.cap_bnd) & ~kRestrictedCaps;
    drop.expected = "only CAP_NET_BIND_SERVICE";
    drop.observed = beyond ? cap_names(beyond) : "none beyond it";
    drop.explanation = "the restricted profile drops every capability but NET_BIND_SERVICE";
    r.add(drop, beyond == 0);

    Check unconf{"hardening.seccomp.unconfined", "credentials", Kind::Hardening, Level::Warning};
    unconf.expected = "a seccomp filter";
    unconf.observed = "Seccomp: " + std::to_string(s.seccomp);
    unconf.explanation = s.seccomp == 2 ? "filtered" : "every syscall of the kernel is reachable";
    r.add(unconf, s.seccomp == 2);
    Check nnp{"hardening.no-new-privs", "credentials", Kind::Hardening, Level::Info};
    nnp.expected = "NoNewPrivs: 1";
    nnp.observed = "NoNewPrivs: " + std::to_string(s.no_new_privs);
    nnp.explanation = "without it a setuid binary in the image can raise privileges";
    r.add(nnp, s.no_new_privs == 1);
    Check nonroot{"hardening.run-as-non-root", "credentials", Kind::Hardening, Level::Info};
    nonroot.expected = "a uid other than 0 inside";
    long inside = inside_id(c.init.uid_map, s.euid);
    bool root_inside = inside == 0;
    nonroot.observed = "uid " + std::to_string(inside) + " inside";
    nonroot.explanation = "root inside may use every capability it holds on the container's files";
    r.add(nonroot, !root_inside);

    if (!c.has_config() || !c.config->process) return;
    const auto& p = *c.config->process;
    if (p.capabilities) {
        std::vector<std::string> skipped;
        auto want = runtime::plan_capabilities(*p.capabilities, &skipped);
        for (const auto& set : kSets) {
            Check k{std::string("credentials.capabilities.") + set.name, "credentials",
                    Kind::Conformance, Level::Error};
            if (!want) {
                r.skip(k, "the config's capabilities do not parse");
                continue;
            }
            uint64_t allowed = (*want).*set.configured;
            std::vector<std::string> bad;
            for (const auto& m : c.members) {
                uint64_t more = m.status.*set.observed & ~allowed;
                if (more) bad.push_back("pid " + std::to_string(m.pid) + ": +" + cap_names(more));
            }
            k.expected = "within " + cap_names(allowed);
            k.observed = bad.empty() ? "every process within it (" +
                                           std::to_string(c.members.size()) + " checked)"
                                     : pid_list(bad);
            k.explanation = bad.empty() ? "no process holds more than configured"
                                        : "processes hold capabilities the config does not grant";
            r.add(k, bad.empty());
        }
    }
    Check n{"credentials.no-new-privs", "credentials", Kind::Conformance, Level::Error};
    std::vector<std::string> lacking;
    if (p.no_new_privileges)
        for (const auto& m : c.members)
            if (m.status.no_new_privs != 1) lacking.push_back("pid " + std::to_string(m.pid));
    n.expected = p.no_new_privileges ? "NoNewPrivs 1 in every process" : "not required";
    n.observed = lacking.empty() ? "as expected" : "missing in " + pid_list(lacking);
    n.explanation = lacking.empty() ? "as configured" : "the config sets noNewPrivileges";
    r.add(n, lacking.empty());

    bool want_seccomp = c.config->linux && c.config->linux->seccomp;
    Check sc{"credentials.seccomp", "credentials", Kind::Conformance, Level::Error};
    std::vector<std::string> unfiltered;
    for (const auto& m : c.members)
        if (want_seccomp && (m.status.seccomp != 2 || m.status.seccomp_filters < 1))
            unfiltered.push_back("pid " + std::to_string(m.pid) + ": Seccomp " +
                                 std::to_string(m.status.seccomp));
    sc.expected = want_seccomp ? "a filter (Seccomp 2) in every process" : "none configured";
    sc.observed = unfiltered.empty() ? "Seccomp " + std::to_string(s.seccomp) + ", " +
                                           std::to_string(s.seccomp_filters) + " filter(s) on PID 1"
                                     : pid_list(unfiltered);
    sc.explanation = unfiltered.empty() ? "as configured" : "processes run without the filter";
    r.add(sc, unfiltered.empty());
    if (want_seccomp) check_seccomp_program(c, r);
    check_lsm(c, r);
}

} // namespace corral::audit
