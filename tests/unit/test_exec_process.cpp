#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "runtime/console.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/passed_fds.hpp"

using namespace corral;
using namespace corral::runtime;

namespace {

spec::Process configured() {
    spec::Process p;
    p.args = {"sh"};
    p.env = {"PATH=/bin", "HOME=/root", "TERM=xterm"};
    p.cwd = "/";
    p.user.uid = 10;
    p.user.gid = 20;
    p.capabilities.emplace();
    p.capabilities->bounding = {"CAP_CHOWN"};
    p.capabilities->effective = {"CAP_CHOWN"};
    p.capabilities->permitted = {"CAP_CHOWN"};
    p.capabilities->inheritable = {"CAP_CHOWN"};
    p.capabilities->ambient = {"CAP_CHOWN"};
    p.rlimits.push_back({"RLIMIT_NOFILE", 100, 100});
    p.terminal = true;
    p.console_size = spec::ConsoleSize{24, 80};
    return p;
}

ExecRequest request(std::vector<std::string> args) {
    ExecRequest r;
    r.id = "c";
    r.args = std::move(args);
    return r;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST_CASE("exec: the configured process with the command replaced") {
    auto p = exec_process(configured(), request({"ls", "-l"}));
    REQUIRE(p.ok());
    CHECK(p->args == std::vector<std::string>{"ls", "-l"});
    CHECK(p->env == configured().env);
    CHECK(p->user.uid == 10);
    CHECK(p->user.gid == 20);
    CHECK(p->rlimits.size() == 1);
    // terminal comes from -t only, never from the container's config
    CHECK_FALSE(p->terminal);
    CHECK_FALSE(p->console_size.has_value());
}

TEST_CASE("exec: -e sets or replaces, --cwd, -u, -g, --no-new-privs, -t") {
    auto r = request({"true"});
    r.env = {"TERM=dumb", "NEW=1", "EMPTY="};
    r.cwd = "/tmp";
    r.user = "1000:1001";
    r.additional_gids = {"5", "6"};
    r.no_new_privs = true;
    r.tty = true;
    auto p = exec_process(configured(), r);
    REQUIRE(p.ok());
    CHECK(p->env ==
          std::vector<std::string>{"PATH=/bin", "HOME=/root", "TERM=dumb", "NEW=1", "EMPTY="});
    CHECK(p->cwd == "/tmp");
    CHECK(p->user.uid == 1000);
    CHECK(p->user.gid == 1001);
    CHECK(p->user.additional_gids == std::vector<uint32_t>{5, 6});
    CHECK(p->no_new_privileges);
    CHECK(p->terminal);
}

TEST_CASE("exec: -u UID alone keeps the configured gid") {
    auto r = request({"true"});
    r.user = "0";
    auto p = exec_process(configured(), r);
    REQUIRE(p.ok());
    CHECK(p->user.uid == 0);
    CHECK(p->user.gid == 20);
}

TEST_CASE("exec: --cap joins bounding, effective and permitted, never inheritable or ambient") {
    auto r = request({"true"});
    r.caps = {"CAP_NET_RAW", "CAP_CHOWN"};
    auto p = exec_process(configured(), r);
    REQUIRE(p.ok());
    const auto& c = *p->capabilities;
    CHECK(has(c.bounding, "CAP_NET_RAW"));
    CHECK(has(c.effective, "CAP_NET_RAW"));
    CHECK(has(c.permitted, "CAP_NET_RAW"));
    CHECK_FALSE(has(c.inheritable, "CAP_NET_RAW"));
    CHECK_FALSE(has(c.ambient, "CAP_NET_RAW"));
    CHECK(std::count(c.bounding.begin(), c.bounding.end(), "CAP_CHOWN") == 1);
}

TEST_CASE("exec: bad flag values are errors naming the flag") {
    auto check_err = [](ExecRequest r, const std::string& want) {
        auto p = exec_process(configured(), r);
        REQUIRE_FALSE(p.ok());
        CHECK_MESSAGE(p.error().message().find(want) != std::string::npos, p.error().message());
    };
    auto r = request({"true"});
    r.user = "abc";
    check_err(r, "--user");
    r = request({"true"});
    r.user = "1:x";
    check_err(r, "--user");
    r = request({"true"});
    r.user = "-1";
    check_err(r, "--user");
    r = request({"true"});
    r.additional_gids = {"4294967295"};
    check_err(r, "--additional-gids");
    r = request({"true"});
    r.caps = {"CAP_BOGUS"};
    check_err(r, "--cap CAP_BOGUS: unknown capability");
    r = request({"true"});
    r.env = {"=x"};
    check_err(r, "--env");
    r = request({"true"});
    r.cwd = "relative";
    check_err(r, "process.cwd");
    check_err(request({}), "a command is required");
}

TEST_CASE("exec: --process replaces the whole process and ignores the other flags") {
    char path[] = "/tmp/corral-exec-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::string json = R"({"args":["probe","env"],"cwd":"/srv","env":["A=1"],
                          "user":{"uid":7,"gid":8},"terminal":false})";
    REQUIRE(write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size()));
    close(fd);
    auto r = request({"ignored"});
    r.process_file = path;
    r.env = {"B=2"};
    r.tty = true;
    auto p = exec_process(configured(), r);
    unlink(path);
    REQUIRE(p.ok());
    CHECK(p->args == std::vector<std::string>{"probe", "env"});
    CHECK(p->env == std::vector<std::string>{"A=1"});
    CHECK(p->cwd == "/srv");
    CHECK(p->user.uid == 7);
    CHECK_FALSE(p->terminal);
    CHECK_FALSE(p->capabilities.has_value());
}

TEST_CASE("exec: a bad process file names the file and the field") {
    char path[] = "/tmp/corral-exec-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::string json = R"({"args":[],"cwd":"/"})";
    REQUIRE(write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size()));
    close(fd);
    auto r = request({});
    r.process_file = path;
    auto p = exec_process(configured(), r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message().find(std::string("--process ") + path) != std::string::npos);
    CHECK(p.error().message().find("process.args") != std::string::npos);
    // invalid JSON, and a missing file
    fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
    REQUIRE(write(fd, "{", 1) == 1);
    close(fd);
    p = exec_process(configured(), r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message().find("invalid json") != std::string::npos);
    unlink(path);
    p = exec_process(configured(), r);
    REQUIRE_FALSE(p.ok());
}

TEST_CASE("console: runc's rules for a terminal and a console socket") {
    CHECK(check_console_request(false, true, "").ok());
    CHECK(check_console_request(true, false, "").ok());
    CHECK(check_console_request(true, true, "/s").ok());
    auto e = check_console_request(true, true, "");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().message().find("--console-socket") != std::string::npos);
    CHECK_FALSE(check_console_request(false, true, "/s").ok());
    CHECK_FALSE(check_console_request(true, false, "/s").ok());
    CHECK_FALSE(check_console_request(false, false, "/s").ok());
}

TEST_CASE("console: consoleSize clamps to what a winsize holds") {
    spec::Process p;
    p.terminal = true;
    p.console_size = spec::ConsoleSize{100000, 50};
    auto c = console_plan(p, true);
    CHECK(c.enabled);
    CHECK(c.bind_dev_console);
    CHECK(c.rows == 65535);
    CHECK(c.cols == 50);
}

TEST_CASE("socket activation: LISTEN_PID must name us and LISTEN_FDS be a count") {
    CHECK(listen_fds_for(42, "42", "3") == 3);
    CHECK(listen_fds_for(42, "43", "3") == 0);
    CHECK(listen_fds_for(42, nullptr, "3") == 0);
    CHECK(listen_fds_for(42, "42", nullptr) == 0);
    CHECK(listen_fds_for(42, "42", "x") == 0);
    CHECK(listen_fds_for(42, "42", "-1") == 0);
    CHECK(listen_fds_for(42, "42x", "1") == 0);
    CHECK(listen_fds_for(42, "42", "99999999999") == 0);
    std::vector<std::string> env = {"LISTEN_FDS=9", "A=1"};
    add_listen_env(env, 2);
    CHECK(env == std::vector<std::string>{"LISTEN_FDS=2", "A=1", "LISTEN_PID=1"});
    add_listen_env(env, 0);
    CHECK(env.size() == 3);
}

TEST_CASE("set_env replaces exactly the same key") {
    std::vector<std::string> env = {"PATH=/bin", "PATHX=1", "P=2"};
    set_env(env, "P=3");
    set_env(env, "PATH=/usr/bin");
    CHECK(env == std::vector<std::string>{"PATH=/usr/bin", "PATHX=1", "P=3"});
}

TEST_CASE("passed fds: a closed fd in the range is refused, naming it") {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 3);
    // Find the first closed fd above ours and ask for everything up to it.
    int hole = fd + 1;
    while (fcntl(hole, F_GETFD) >= 0)
        ++hole;
    auto r = collect_passed_fds(hole - 3 + 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("fd " + std::to_string(hole) + " is not open") !=
          std::string::npos);
    auto ok = collect_passed_fds(fd - 3 + 1);
    // Every fd from 3 to ours may not be open in the test runner; only check ours when it is.
    bool all_open = true;
    for (int i = 3; i <= fd; ++i)
        all_open = all_open && fcntl(i, F_GETFD) >= 0;
    CHECK(ok.ok() == all_open);
    close(fd);
}
