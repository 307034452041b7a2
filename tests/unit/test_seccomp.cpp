#include "common/child_error.hpp"
#include "seccomp/compile.hpp"
#include "seccomp/default_profile.hpp"
#include "seccomp/load.hpp"
#include "spec/parse.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace corral;
using namespace corral::seccomp;

namespace {

// The error message of a failed Result, for INFO().
template <typename T> std::string why(const Result<T>& r) {
    return r.ok() ? std::string() : r.error().message();
}

spec::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                          std::vector<spec::SeccompArg> args = {},
                          std::optional<uint32_t> errno_ret = std::nullopt) {
    spec::SeccompSyscall r;
    r.names = std::move(names);
    r.action = std::move(action);
    r.args = std::move(args);
    r.errno_ret = errno_ret;
    return r;
}

spec::SeccompArg arg(uint32_t index, std::string op, uint64_t value, uint64_t value_two = 0) {
    return spec::SeccompArg{index, value, value_two, std::move(op)};
}

spec::Seccomp allow_by_default(std::vector<spec::SeccompSyscall> rules) {
    spec::Seccomp s;
    s.default_action = "SCMP_ACT_ALLOW";
    s.syscalls = std::move(rules);
    return s;
}

std::string compile_error(const spec::Seccomp& s) {
    auto r = compile_seccomp(s, nullptr);
    return r.ok() ? "ok" : r.error().message();
}

SeccompProgram compile_ok(const spec::Seccomp& s, std::vector<std::string>* warnings = nullptr) {
    auto r = compile_seccomp(s, warnings);
    INFO(why(r));
    REQUIRE(r.ok());
    REQUIRE(!r->filter.empty());
    return std::move(r).value();
}

// doctest catches crash signals to report them; in a forked child that would
// print a second report, so the child dies plainly and the parent reports.
void restore_crash_signals() {
    for (int sig : {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGABRT, SIGSYS})
        ::signal(sig, SIG_DFL);
}

// Forks a child that sets no_new_privs, loads program and returns body()'s
// result as its exit code; the parent only looks at that code. 100 means the
// load failed, 128+N death by signal N. Each check in a body returns its own
// small number, so a failure says which check broke.
int run_filtered(const SeccompProgram& program, const std::function<int()>& body) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        restore_crash_signals();
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(99);
        if (!load_seccomp(program)) ::_exit(100);
        ::_exit(body());
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

// A syscall that must fail with exactly want.
bool fails_with(long rc, int want) {
    return rc == -1 && errno == want;
}

long raw_umask(unsigned long mask) {
    return ::syscall(SYS_umask, mask);
}

const char* const kAllActions[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                   "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                   "SCMP_ACT_LOG",  "SCMP_ACT_NOTIFY"};

const char* const kAllOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                               "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

std::string profile_path() {
    return std::string(CORRAL_SOURCE_DIR) + "/configs/seccomp-default.json";
}

// Restores an environment variable when the test ends.
struct EnvGuard {
    std::string name;
    std::optional<std::string> saved;
    explicit EnvGuard(std::string n)
        : name(std::move(n)) {
        if (const char* v = std::getenv(name.c_str())) saved = v;
    }
    ~EnvGuard() {
        if (saved)
            ::setenv(name.c_str(), saved->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
};

spec::Seccomp default_profile() {
    EnvGuard guard("CORRAL_SECCOMP_PROFILE");
    ::setenv("CORRAL_SECCOMP_PROFILE", profile_path().c_str(), 1);
    auto text = default_seccomp_json();
    INFO(why(text));
    REQUIRE(text.ok());
    auto parsed = parse_seccomp_json(*text, profile_path());
    INFO(why(parsed));
    REQUIRE(parsed.ok());
    return std::move(parsed).value();
}

#if defined(__x86_64__)
// A 32-bit syscall through the int 0x80 gate: the kernel reports
// AUDIT_ARCH_I386, so this exercises the filter's x86 section.
long int80(long nr, long a1 = 0) {
    long ret;
    asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1) : "memory", "r8", "r9", "r10", "r11");
    return ret;
}
constexpr long kI386Getpid = 20;
constexpr long kI386Unshare = 310;

// Kernels built or booted without IA32 emulation answer int 0x80 with
// SIGSEGV, so the probe runs in a child.
bool has_ia32_emulation() {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        restore_crash_signals();
        ::_exit(int80(kI386Getpid) == ::getpid() ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

} // namespace

TEST_CASE("seccomp: every action compiles") {
    for (const char* action : kAllActions) {
        CAPTURE(action);
        auto s = allow_by_default({rule({"getppid"}, action)});
        s.listener_path = "/run/listener.sock";
        auto p = compile_ok(s);
        CHECK(p.needs_notify_listener == (std::string(action) == "SCMP_ACT_NOTIFY"));
    }
    // ALLOW needs a different default to be more than a repeat of it.
    spec::Seccomp s;
    s.default_action = "SCMP_ACT_KILL_PROCESS";
    s.syscalls = {rule({"getppid"}, "SCMP_ACT_ALLOW"), rule({"getpid"}, "SCMP_ACT_ERRNO", {}, 5),
                  rule({"gettid"}, "SCMP_ACT_TRACE", {}, 7)};
    compile_ok(s);
    s.default_action = "SCMP_ACT_ERRNO";
    s.default_errno_ret = 38;
    compile_ok(s);
}

TEST_CASE("seccomp: every operator compiles") {
    std::vector<spec::SeccompSyscall> rules;
    for (const char* op : kAllOps)
        rules.push_back(rule({"umask"}, "SCMP_ACT_ERRNO", {arg(0, op, 022, 022)}));
    compile_ok(allow_by_default(rules));
}

TEST_CASE("seccomp: flags map to their seccomp(2) bits") {
    auto s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
               "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    CHECK(compile_ok(s).flags == (1u | 2u | 4u | 32u));
    s.flags.clear();
    CHECK(compile_ok(s).flags == 0);
}

TEST_CASE("seccomp: invalid fields are errors naming their json path") {
    auto s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    CHECK(compile_error(s) ==
          "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");

    s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO"), rule({"a"}, "SCMP_ACT_ERRNO"),
                          rule({"b"}, "SCMP_ACT_ERRNO"), rule({"mkdir"}, "SCMP_ACT_FOO")});
    CHECK(compile_error(s) == "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");

    s = allow_by_default(
        {rule({"umask"}, "SCMP_ACT_ERRNO", {arg(0, "SCMP_CMP_EQ", 1), arg(1, "SCMP_CMP_XOR", 1)})});
    CHECK(compile_error(s) ==
          "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_XOR\"");

    s = allow_by_default({rule({"umask"}, "SCMP_ACT_ERRNO", {arg(6, "SCMP_CMP_EQ", 1)})});
    CHECK(compile_error(s) == "linux.seccomp.syscalls[0].args[0].index: must be below 6, got 6");

    s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE"};
    CHECK(compile_error(s) == "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");

    s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    s.default_action = "SCMP_ACT_BAR";
    CHECK(compile_error(s) == "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
    s.default_action = "";
    CHECK(compile_error(s) == "linux.seccomp.defaultAction: required");
    s.default_action = "SCMP_ACT_NOTIFY";
    s.listener_path = "/run/l.sock";
    CHECK(compile_error(s) ==
          "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    s = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO", {}, 70000)});
    CHECK(compile_error(s) ==
          "linux.seccomp.syscalls[0].errnoRet: must be at most 65535, got 70000");

    s = allow_by_default({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
    CHECK(compile_error(s) ==
          "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");

    s = allow_by_default({rule({"umask"}, "SCMP_ACT_ERRNO", {arg(0, "SCMP_CMP_EQ", 1)}),
                          rule({"umask"}, "SCMP_ACT_TRAP", {arg(0, "SCMP_CMP_EQ", 1)})});
    CHECK(compile_error(s) == "linux.seccomp.syscalls[1]: rule for \"umask\" conflicts with an "
                              "earlier rule with the same arguments and another action");
}

TEST_CASE("seccomp: unknown syscall names are skipped with a warning") {
    auto s =
        allow_by_default({rule({"getppid", "no_such_syscall", "mkdir"}, "SCMP_ACT_ERRNO", {}, 42)});
    std::vector<std::string> warnings;
    auto p = compile_ok(s, &warnings);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          "linux.seccomp.syscalls[0].names[1]: syscall \"no_such_syscall\" unknown to libseccomp, "
          "skipped");
    // The names around the unknown one still get the rule.
    CHECK(run_filtered(p, [] {
              if (!fails_with(::syscall(SYS_getppid), 42)) return 1;
              if (!fails_with(::mkdir("/tmp/corral-seccomp-never", 0700), 42)) return 2;
              return 0;
          }) == 0);
}

TEST_CASE("seccomp: errnoRet on an action without a value is ignored with a warning") {
    spec::Seccomp s;
    s.default_action = "SCMP_ACT_ERRNO";
    s.syscalls = {rule({"getppid"}, "SCMP_ACT_ALLOW", {}, 5)};
    std::vector<std::string> warnings;
    compile_ok(s, &warnings);
    CHECK(warnings == std::vector<std::string>{
                          "linux.seccomp.syscalls[0].errnoRet: ignored for SCMP_ACT_ALLOW"});
}

TEST_CASE("seccomp: rules repeating the default action are skipped") {
    spec::Seccomp s;
    s.default_action = "SCMP_ACT_ERRNO";
    s.default_errno_ret = 38;
    s.syscalls = {rule({"clone3"}, "SCMP_ACT_ERRNO", {}, 38), rule({"getppid"}, "SCMP_ACT_ERRNO")};
    auto p = compile_ok(s);
    // Repeating ERRNO with another errno is a different action and is kept.
    s.default_errno_ret = std::nullopt;
    s.syscalls = {rule({"getppid"}, "SCMP_ACT_ERRNO", {}, 1)};
    compile_ok(s);
}

TEST_CASE("seccomp: a loaded filter applies its rules and allows the rest") {
    auto p = compile_ok(allow_by_default({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", {}, 42),
                                          rule({"getpgrp"}, "SCMP_ACT_ERRNO")}));
    pid_t self = ::getpid();
    CHECK(run_filtered(p, [self] {
              if (!fails_with(::mkdir("/tmp/corral-seccomp-never", 0700), 42)) return 1;
              // ERRNO without errnoRet is EPERM.
              if (!fails_with(::syscall(SYS_getpgrp), EPERM)) return 5;
              if (::getppid() != self) return 2;
              if (::getpid() <= 0) return 3;
              int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
              if (fd < 0) return 4;
              ::close(fd);
              return 0;
          }) == 0);
}

TEST_CASE("seccomp: each operator compares as documented") {
    struct Case {
        const char* op;
        uint64_t value, value_two;
        unsigned long hit, miss;
    };
    // umask cannot fail, so ERRNO 42 means the rule matched.
    const Case cases[] = {
        {"SCMP_CMP_NE", 022, 0, 027, 022},          {"SCMP_CMP_LT", 022, 0, 021, 022},
        {"SCMP_CMP_LE", 022, 0, 022, 023},          {"SCMP_CMP_EQ", 022, 0, 022, 021},
        {"SCMP_CMP_GE", 022, 0, 022, 021},          {"SCMP_CMP_GT", 022, 0, 023, 022},
        {"SCMP_CMP_MASKED_EQ", 070, 020, 027, 032},
    };
    for (const Case& c : cases) {
        CAPTURE(c.op);
        auto p = compile_ok(allow_by_default(
            {rule({"umask"}, "SCMP_ACT_ERRNO", {arg(0, c.op, c.value, c.value_two)}, 42)}));
        CHECK(run_filtered(p, [&c] {
                  if (!fails_with(raw_umask(c.hit), 42)) return 1;
                  if (raw_umask(c.miss) < 0) return 2;
                  return 0;
              }) == 0);
    }
}

TEST_CASE("seccomp: arguments on distinct indexes must all match") {
    auto p = compile_ok(
        allow_by_default({rule({"lseek"}, "SCMP_ACT_ERRNO",
                               {arg(1, "SCMP_CMP_EQ", 5), arg(2, "SCMP_CMP_EQ", SEEK_SET)}, 43)}));
    CHECK(run_filtered(p, [] {
              int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
              if (fd < 0) return 1;
              if (!fails_with(::lseek(fd, 5, SEEK_SET), 43)) return 2;
              if (::lseek(fd, 5, SEEK_CUR) < 0) return 3;
              if (::lseek(fd, 6, SEEK_SET) < 0) return 4;
              return 0;
          }) == 0);
}

TEST_CASE("seccomp: several arguments on one index become separate rules") {
    // Two comparisons of argument 0: either one matching applies the action.
    auto p = compile_ok(allow_by_default({rule(
        {"umask"}, "SCMP_ACT_ERRNO",
        {arg(0, "SCMP_CMP_EQ", 022), arg(0, "SCMP_CMP_EQ", 077), arg(1, "SCMP_CMP_EQ", 9)}, 42)}));
    CHECK(run_filtered(p, [] {
              if (!fails_with(raw_umask(022), 42)) return 1;
              if (!fails_with(raw_umask(077), 42)) return 2;
              if (raw_umask(027) < 0) return 3;
              // The index-1 comparison is a rule of its own too.
              if (!fails_with(::syscall(SYS_umask, 027, 9), 42)) return 4;
              return 0;
          }) == 0);
}

TEST_CASE("seccomp: load_seccomp refuses programs it cannot load correctly") {
    SeccompProgram empty;
    CHECK_FALSE(load_seccomp(empty));
    CHECK(child_error().err == EINVAL);

    auto s = allow_by_default({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
    s.listener_path = "/run/listener.sock";
    auto p = compile_ok(s);
    CHECK_FALSE(load_seccomp(p));
    CHECK(child_error().err == EINVAL);
    // With somewhere to put it, the listener fd is returned.
    CHECK(run_filtered(compile_ok(allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")})), [&p] {
              int fd = -1;
              if (!load_seccomp(p, &fd)) return 1;
              if (fd < 0 || ::fcntl(fd, F_GETFD) < 0) return 2;
              return 0;
          }) == 0);
}

TEST_CASE("seccomp: default profile is read from the configured places") {
    EnvGuard guard("CORRAL_SECCOMP_PROFILE");
    ::setenv("CORRAL_SECCOMP_PROFILE", "/nonexistent/corral-profile.json", 1);
    auto missing = default_seccomp_json();
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().err == ENOENT);
    CHECK(missing.error().message().find("/nonexistent/corral-profile.json") != std::string::npos);

    ::unsetenv("CORRAL_SECCOMP_PROFILE");
    auto found = default_seccomp_json();
    INFO(why(found));
    CHECK(found.ok());

    auto bad = parse_seccomp_json(R"({"defaultAction": 3})", "profile.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message() ==
          "profile.json: linux.seccomp.defaultAction: expected string, got integer");
    CHECK_FALSE(parse_seccomp_json("{", "profile.json").ok());
}

TEST_CASE("seccomp: default profile parses, also inside a config, and compiles") {
    spec::Seccomp profile = default_profile();
    CHECK(profile.default_action == "SCMP_ACT_ERRNO");
    CHECK(profile.default_errno_ret == 38u);
    CHECK(profile.architectures ==
          std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
    std::size_t allowed = 0;
    for (const auto& r : profile.syscalls)
        if (r.action == "SCMP_ACT_ALLOW" && r.args.empty()) allowed += r.names.size();
    CHECK(allowed >= 340);
    CHECK(allowed <= 380);

    EnvGuard guard("CORRAL_SECCOMP_PROFILE");
    ::setenv("CORRAL_SECCOMP_PROFILE", profile_path().c_str(), 1);
    auto text = default_seccomp_json();
    REQUIRE(text.ok());
    std::string config = R"({"ociVersion":"1.2.0","process":{"cwd":"/","args":["sh"]},)"
                         R"("root":{"path":"rootfs"},"linux":{"seccomp":)" +
                         *text + "}}";
    auto spec = spec::parse_config(config);
    INFO(why(spec));
    REQUIRE(spec.ok());
    REQUIRE(spec->linux.has_value());
    REQUIRE(spec->linux->seccomp.has_value());
    CHECK(spec->linux->seccomp->syscalls.size() == profile.syscalls.size());

    std::vector<std::string> warnings;
    auto p = compile_ok(profile, &warnings);
    for (const auto& w : warnings)
        WARN_MESSAGE(false, w); // names newer than the installed libseccomp
    CHECK(p.flags == 0);
    CHECK_FALSE(p.needs_notify_listener);
}

void* thread_body(void*) {
    return nullptr;
}

TEST_CASE("seccomp: default profile denies namespaces and keys, answers new syscalls ENOSYS") {
    auto p = compile_ok(default_profile());

    // A syscall this kernel implements but the profile cannot name (newer
    // than libseccomp's tables) must answer ENOSYS once filtered.
    constexpr long kMseal = 462;
    errno = 0;
    long unfiltered = ::syscall(kMseal, 0, 0, 0);
    bool kernel_has_mseal = !(unfiltered == -1 && errno == ENOSYS);
#if defined(__x86_64__)
    bool has_ia32 = has_ia32_emulation();
#endif

    int rc = run_filtered(p, [&] {
        if (!fails_with(::unshare(CLONE_NEWNS), EPERM)) return 1;
        if (!fails_with(::unshare(CLONE_NEWUSER), EPERM)) return 2;
        if (!fails_with(::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0),
                        EPERM))
            return 3;
        if (!fails_with(::syscall(SYS_clone3, nullptr, 0), ENOSYS)) return 4;
        if (!fails_with(::syscall(1000), ENOSYS)) return 5;
        if (kernel_has_mseal && !fails_with(::syscall(kMseal, 0, 0, 0), ENOSYS)) return 6;
        if (!fails_with(::mount("none", "/tmp", "tmpfs", 0, nullptr), EPERM)) return 7;
        if (!fails_with(::syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0), EPERM)) return 8;
        if (!fails_with(::syscall(SYS_setns, 0, 0), EPERM)) return 9;
        // clone with any namespace flag is refused; should the filter let
        // it through, the new process leaves at once.
        for (unsigned long flag : {CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER}) {
            long c = ::syscall(SYS_clone, flag | SIGCHLD, 0, 0, 0, 0);
            if (c == 0) ::_exit(0);
            if (c > 0) ::waitpid(static_cast<pid_t>(c), nullptr, 0);
            if (!(c == -1 && errno == EPERM)) return 10;
        }
        if (::syscall(SYS_personality, 0xffffffffUL) < 0) return 11;
        // Plain fork and exec work.
        pid_t child = ::fork();
        if (child < 0) return 12;
        if (child == 0) {
            char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
            ::execv("/bin/true", argv);
            ::_exit(127);
        }
        int status = 0;
        if (::waitpid(child, &status, 0) != child) return 13;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 14;
        // glibc tries clone3 for threads and falls back to clone on ENOSYS.
        pthread_t t;
        if (::pthread_create(&t, nullptr, thread_body, nullptr) != 0) return 15;
        ::pthread_join(t, nullptr);
#if defined(__x86_64__)
        if (has_ia32) {
            if (int80(kI386Getpid) != ::getpid()) return 16;
            if (int80(kI386Unshare, CLONE_NEWNS) != -EPERM) return 17;
        }
#endif
        return 0;
    });
    CHECK(rc == 0);
}
