// Hooks and pid files: both are the runtime talking to the host around a
// container, and both are tested against real processes and files in a temp
// dir. No root needed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/syscalls.hpp"
#include "runtime/hooks.hpp"
#include "runtime/pidfile.hpp"

namespace fs = std::filesystem;
using corral::runtime::run_hook;
using corral::runtime::run_hooks;
using corral::runtime::write_pid_file;
using corral::spec::Hook;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/corral-hooks-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        ::chmod(path.c_str(), 0700);
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }

    // A /bin/sh script, executable unless mode says otherwise.
    std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) const {
        const std::string p = *this / name;
        std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
        REQUIRE(::chmod(p.c_str(), mode) == 0);
        return p;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

std::string failure(const corral::Status& st) {
    REQUIRE_MESSAGE(!st.ok(), "expected the hook to fail");
    return st.error().message();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// True once the process is gone or a zombie (its parent may not reap it
// promptly when it was reparented).
bool dead_within(pid_t pid, double secs) {
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        char state = 0;
        if (corral::sys::process_start_time(pid, &state) == 0 || state == 'Z') return true;
        if (seconds_since(t0) > secs) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

const std::string kState = R"({"ociVersion":"1.2.0","id":"c1","status":"creating","pid":42,)"
                           R"("bundle":"/tmp/b \"quoted\" \u00e9"})";

} // namespace

TEST_CASE("hooks: the state JSON arrives intact on stdin") {
    TempDir d;
    const std::string out = d / "state.out";
    Hook h{d.script("h", "cat > \"$1\""), {"h", out}, {}, {}};
    auto st = run_hook(h, kState, "createRuntime");
    REQUIRE_MESSAGE(st.ok(), st.error().message());
    CHECK(slurp(out) == kState);

    // A large state goes through the same non-blocking pipe.
    std::string big(1 << 20, 'x');
    for (size_t i = 0; i < big.size(); i += 97)
        big[i] = static_cast<char>('a' + i % 26);
    st = run_hook(h, big, "createRuntime");
    REQUIRE_MESSAGE(st.ok(), st.error().message());
    CHECK(slurp(out) == big);

    // Empty input: the hook sees EOF at once.
    st = run_hook(h, "", "createRuntime");
    REQUIRE(st.ok());
    CHECK(slurp(out).empty());
}

TEST_CASE("hooks: args and env are passed exactly") {
    TempDir d;
    const std::string argv_out = d / "argv", env_out = d / "environ";
    // /proc/$$/cmdline and /proc/$$/environ are the blocks execve received,
    // before the shell adds PWD or shifts "$0".
    const std::string cmd =
        "cat /proc/$$/cmdline > " + argv_out + "; cat /proc/$$/environ > " + env_out;
    Hook h{"/bin/sh",
           {"custom-argv0", "-c", cmd, "one two", "", "three"},
           {"A=1", "B=two words", "C="},
           {}};
    auto st = run_hook(h, kState, "prestart");
    REQUIRE_MESSAGE(st.ok(), st.error().message());
    using namespace std::string_literals;
    CHECK(slurp(argv_out) == "custom-argv0\0-c\0"s + cmd + "\0one two\0\0three\0"s);
    CHECK(slurp(env_out) == "A=1\0B=two words\0C=\0"s);

    SUBCASE("no env means an empty environment") {
        Hook bare{"/bin/sh", {"sh", "-c", "cat /proc/$$/environ > " + env_out}, {}, {}};
        REQUIRE(run_hook(bare, kState, "prestart").ok());
        CHECK(slurp(env_out).empty());
    }
    SUBCASE("no args means path is argv[0]") {
        // With no arguments sh reads its script from stdin: the state here.
        Hook bare{"/bin/sh", {}, {}, {}};
        REQUIRE(run_hook(bare, "printf %s \"$0\" > " + argv_out, "prestart").ok());
        CHECK(slurp(argv_out) == "/bin/sh");
    }
}

TEST_CASE("hooks: a non-zero exit is an error naming kind, path, status and output") {
    TempDir d;
    const std::string p = d.script("fail", "echo to-stdout; echo oops >&2; exit 3");
    Hook h{p, {}, {}, {}};
    CHECK(failure(run_hook(h, kState, "createRuntime")) ==
          "createRuntime hook " + p + ": exited with status 3: to-stdout\noops");

    Hook quiet{d.script("quiet", "exit 7"), {}, {}, {}};
    CHECK(failure(run_hook(quiet, kState, "poststop")) ==
          "poststop hook " + quiet.path + ": exited with status 7");
}

TEST_CASE("hooks: only the last 4 KiB of output are kept") {
    TempDir d;
    const std::string p =
        d.script("loud", "i=0; while [ $i -lt 2000 ]; do echo line-$i-padding-padding-padding; "
                         "i=$((i+1)); done; echo THE-END >&2; exit 1");
    const std::string msg = failure(run_hook(Hook{p, {}, {}, {}}, kState, "poststart"));
    CHECK(msg.find("exited with status 1: ...") != std::string::npos);
    CHECK(msg.size() < 4096 + p.size() + 64);
    CHECK(msg.ends_with("line-1999-padding-padding-padding\nTHE-END"));
    CHECK(msg.find("line-0-") == std::string::npos);
}

TEST_CASE("hooks: death by a signal is reported by name") {
    TempDir d;
    Hook h{d.script("term", "kill -TERM $$"), {}, {}, {}};
    CHECK(failure(run_hook(h, kState, "startContainer")) ==
          "startContainer hook " + h.path + ": killed by signal SIGTERM");
}

TEST_CASE("hooks: a timeout kills the hook promptly and is reported") {
    Hook h{"/bin/sleep", {"sleep", "100"}, {}, 1};
    const auto t0 = std::chrono::steady_clock::now();
    const std::string msg = failure(run_hook(h, kState, "createContainer"));
    const double took = seconds_since(t0);
    CHECK(msg == "createContainer hook /bin/sleep: timed out after 1s");
    CHECK(took >= 0.9);
    CHECK(took < 2.5);
}

TEST_CASE("hooks: a timeout also kills what the hook started") {
    TempDir d;
    const std::string pid_out = d / "child.pid";
    Hook h{
        d.script("tree", "sleep 100 & echo $! > " + pid_out + "; echo started; wait"), {}, {}, 1};
    const auto t0 = std::chrono::steady_clock::now();
    const std::string msg = failure(run_hook(h, kState, "createRuntime"));
    CHECK(seconds_since(t0) < 2.5);
    CHECK(msg == "createRuntime hook " + h.path + ": timed out after 1s: started");
    const pid_t child = std::atoi(slurp(pid_out).c_str());
    REQUIRE(child > 0);
    CHECK(dead_within(child, 2.0));
}

TEST_CASE("hooks: the hook's exit ends the wait even if a daemon holds its output") {
    TempDir d;
    const std::string pid_out = d / "daemon.pid";
    Hook h{d.script("bg", "sleep 30 & echo $! > " + pid_out + "; exit 0"), {}, {}, {}};
    const auto t0 = std::chrono::steady_clock::now();
    auto st = run_hook(h, kState, "poststart");
    CHECK(st.ok());
    CHECK(seconds_since(t0) < 2.0);
    const pid_t daemon = std::atoi(slurp(pid_out).c_str());
    if (daemon > 0) ::kill(daemon, SIGKILL);
}

TEST_CASE("hooks: a hook that cannot be executed is a clear error") {
    TempDir d;
    Hook missing{d / "no-such-hook", {}, {}, {}};
    CHECK(failure(run_hook(missing, kState, "prestart")) ==
          "prestart hook " + missing.path + ": exec: no such file or directory");

    Hook not_exec{d.script("plain", "exit 0", 0644), {}, {}, {}};
    CHECK(failure(run_hook(not_exec, kState, "prestart")) ==
          "prestart hook " + not_exec.path + ": exec: permission denied");

    CHECK(failure(run_hook(Hook{}, kState, "prestart")) == "prestart hook with an empty path");
    Hook zero{"/bin/true", {}, {}, 0};
    CHECK(failure(run_hook(zero, kState, "prestart")) ==
          "prestart hook /bin/true: invalid timeout 0");
}

TEST_CASE("hooks: a hook that ignores a large state neither hangs nor raises SIGPIPE") {
    TempDir d;
    const std::string big(1 << 20, '{');
    sigset_t mask_before, mask_after, pending;
    struct sigaction sa_before {
    }, sa_after{};
    REQUIRE(pthread_sigmask(SIG_SETMASK, nullptr, &mask_before) == 0);
    REQUIRE(sigaction(SIGPIPE, nullptr, &sa_before) == 0);

    const auto t0 = std::chrono::steady_clock::now();
    CHECK(run_hook(Hook{d.script("quick", "exit 0"), {}, {}, {}}, big, "poststop").ok());
    // Still running while the pipe is full, then leaves without reading.
    CHECK(run_hook(Hook{d.script("slow", "sleep 0.3; exit 0"), {}, {}, {}}, big, "poststop").ok());
    CHECK(failure(run_hook(Hook{d.script("bad", "exit 4"), {}, {}, {}}, big, "poststop"))
              .ends_with("exited with status 4"));
    // Closes stdin after a few bytes, mid-write.
    CHECK(run_hook(Hook{d.script("head", "head -c 10 >/dev/null"), {}, {}, {}}, big, "poststop")
              .ok());
    CHECK(seconds_since(t0) < 5.0);

    REQUIRE(pthread_sigmask(SIG_SETMASK, nullptr, &mask_after) == 0);
    REQUIRE(sigaction(SIGPIPE, nullptr, &sa_after) == 0);
    CHECK(sigismember(&mask_after, SIGPIPE) == sigismember(&mask_before, SIGPIPE));
    CHECK((sa_after.sa_handler == sa_before.sa_handler));
    sigemptyset(&pending);
    REQUIRE(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGPIPE) == 0);
}

TEST_CASE("hooks: the caller's closed stdio does not confuse the fd plumbing") {
    TempDir d;
    const std::string out = d / "state.out";
    const int saved = ::fcntl(0, F_DUPFD_CLOEXEC, 10);
    REQUIRE(saved >= 0);
    ::close(0);
    auto st = run_hook(Hook{"/bin/sh", {"sh", "-c", "cat > " + out}, {}, {}}, kState, "prestart");
    ::dup2(saved, 0);
    ::close(saved);
    REQUIRE_MESSAGE(st.ok(), st.error().message());
    CHECK(slurp(out) == kState);
}

TEST_CASE("hooks: run_hooks runs in order and stops at the first failure") {
    TempDir d;
    const std::string log = d / "log";
    std::vector<Hook> hooks{
        {d.script("one", "echo one >> " + log), {}, {}, {}},
        {d.script("two", "echo two >> " + log + "; exit 2"), {}, {}, {}},
        {d.script("three", "echo three >> " + log), {}, {}, {}},
    };
    const std::string msg = failure(run_hooks(hooks, kState, "poststart"));
    CHECK(msg == "poststart hook " + hooks[1].path + ": exited with status 2");
    CHECK(slurp(log) == "one\ntwo\n");
    hooks.resize(1);
    CHECK(run_hooks(hooks, kState, "poststart").ok());
    CHECK(run_hooks({}, kState, "poststart").ok());
    CHECK(slurp(log) == "one\ntwo\none\n");
}

TEST_CASE("pid file: decimal pid, no newline, atomically replaced") {
    TempDir d;
    const std::string p = d / "container.pid";
    REQUIRE(write_pid_file(p, 12345).ok());
    CHECK(slurp(p) == "12345");

    // A second name on the old inode keeps the old content: the new file was
    // renamed into place, never rewritten in place.
    REQUIRE(::link(p.c_str(), (d / "old").c_str()) == 0);
    REQUIRE(write_pid_file(p, 678).ok());
    CHECK(slurp(p) == "678");
    CHECK(slurp(d / "old") == "12345");
    CHECK(entries(d.path) == std::vector<std::string>{"container.pid", "old"});
}

TEST_CASE("pid file: a relative path is relative to the cwd") {
    TempDir d;
    char cwd[4096];
    REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
    REQUIRE(::chdir(d.path.c_str()) == 0);
    auto plain = write_pid_file("pidfile", 1);
    REQUIRE(::mkdir("sub", 0755) == 0);
    auto nested = write_pid_file("sub/pidfile", 2);
    REQUIRE(::chdir(cwd) == 0);
    REQUIRE(plain.ok());
    REQUIRE(nested.ok());
    CHECK(slurp(d / "pidfile") == "1");
    CHECK(slurp(d / "sub/pidfile") == "2");
}

TEST_CASE("pid file: failures are errors and leave no temp file") {
    TempDir d;
    auto st = write_pid_file(d / "missing/dir/pid", 1);
    REQUIRE(!st.ok());
    CHECK(st.error().err == ENOENT);
    CHECK(st.error().message().find(d / "missing/dir/") != std::string::npos);

    // The rename step fails when a directory sits at the path: the temp file
    // was written by then and must be gone again.
    REQUIRE(::mkdir((d / "taken").c_str(), 0755) == 0);
    REQUIRE(::mkdir((d / "taken/x").c_str(), 0755) == 0);
    st = write_pid_file(d / "taken", 1);
    REQUIRE(!st.ok());
    CHECK(st.error().message().starts_with("rename pid file " + (d / "taken")));
    CHECK(entries(d.path) == std::vector<std::string>{"taken"});

    CHECK(!write_pid_file(d / "", 1).ok());
    CHECK(!write_pid_file("", 1).ok());

    if (::geteuid() != 0) { // root writes through permission bits
        REQUIRE(::mkdir((d / "ro").c_str(), 0500) == 0);
        st = write_pid_file(d / "ro/pid", 1);
        REQUIRE(!st.ok());
        CHECK(st.error().err == EACCES);
        CHECK(entries(d / "ro").empty());
    }
}

TEST_CASE("hooks: no fd and no child outlive a run") {
    TempDir d;
    auto fd_count = [] {
        return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
    };
    const auto before = fd_count();
    CHECK(run_hook(Hook{"/bin/true", {}, {}, {}}, kState, "prestart").ok());
    CHECK(!run_hook(Hook{d / "missing", {}, {}, {}}, kState, "prestart").ok());
    CHECK(!run_hook(Hook{"/bin/sleep", {"sleep", "5"}, {}, 1}, kState, "prestart").ok());
    CHECK(write_pid_file(d / "pid", 1).ok());
    CHECK(fd_count() == before);
    // Every hook was reaped before run_hook returned.
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
}
