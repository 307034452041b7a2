#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/syscalls.hpp"
#include "runtime/state.hpp"

extern char** environ;

using namespace corral::runtime;
using corral::rfc3339_now;

namespace {
std::string temp_root() {
    char tmpl[] = "/tmp/corral-state-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    return tmpl;
}
void rm_rf(const std::string& p) {
    REQUIRE(std::system(("rm -rf " + p).c_str()) == 0);
}

ContainerState sample() {
    ContainerState st;
    st.oci_version = "1.2.0";
    st.id = "c1";
    st.pid = getpid();
    st.start_time = corral::sys::process_start_time(getpid());
    st.bundle = "/b";
    st.rootfs = "/b/rootfs";
    st.created = rfc3339_now();
    st.annotations = {{"a", "b"}};
    st.cgroup_paths = {{"unified", "/sys/fs/cgroup/corral/c1"},
                       {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/corral/c1"}};
    corral::spec::Hook h;
    h.path = "/bin/true";
    h.args = {"true", "x"};
    h.timeout = 3;
    st.poststop = {h};
    st.init_exe = "38:1234";
    return st;
}
} // namespace

TEST_CASE("state: json round-trip keeps every field") {
    ContainerState st = sample();
    auto back = state_from_json(state_to_json(st));
    REQUIRE(back.ok());
    CHECK(back->id == "c1");
    CHECK(back->pid == st.pid);
    CHECK(back->start_time == st.start_time);
    CHECK(back->annotations.at("a") == "b");
    CHECK(back->cgroup_paths == st.cgroup_paths);
    REQUIRE(back->poststop.size() == 1);
    CHECK(back->poststop[0].args == std::vector<std::string>{"true", "x"});
    CHECK(*back->poststop[0].timeout == 3);
    CHECK(back->init_exe == "38:1234");
}

TEST_CASE("state: corrupt and truncated files give a clear error") {
    std::string text = state_to_json(sample());
    auto r = state_from_json(text.substr(0, text.size() / 2));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("corrupt state") != std::string::npos);
    CHECK_FALSE(state_from_json("{}").ok());
    CHECK_FALSE(state_from_json("{\"pid\": \"x\"}").ok());
}

TEST_CASE("state: cgroup paths outside /sys/fs/cgroup are refused") {
    // delete removes these directories: a tampered state file must not
    // aim it anywhere else.
    for (const char* bad : {"/etc", "/sys/fs/cgroup/../../etc", "relative/x"}) {
        ContainerState st = sample();
        st.cgroup_paths = {{"unified", bad}};
        auto r = state_from_json(state_to_json(st));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message().find("cgroup path unified is not under /sys/fs/cgroup") !=
              std::string::npos);
    }
}

TEST_CASE("state: status is derived from the live process, not trusted") {
    std::string root = temp_root();
    ContainerState st = sample();
    CHECK(derive_status(st, root) == ContainerStatus::Running);
    // A fifo left by a start killed after the init's byte: this "init" (the
    // test itself) has exec'd, so it runs.
    std::ofstream(root + "/exec.fifo") << "";
    CHECK(derive_status(st, root) == ContainerStatus::Running);
    // A recycled pid: same pid, another start time.
    st.start_time += 1;
    CHECK(derive_status(st, root) == ContainerStatus::Stopped);
    st.pid = 0;
    CHECK(derive_status(st, root) == ContainerStatus::Creating);
    rm_rf(root);
}

TEST_CASE("state: oci state document has the spec's fields") {
    auto j = nlohmann::json::parse(oci_state_json(sample(), ContainerStatus::Running, true));
    CHECK(j["ociVersion"] == "1.2.0");
    CHECK(j["id"] == "c1");
    CHECK(j["status"] == "running");
    CHECK(j["pid"] == getpid());
    CHECK(j["bundle"] == "/b");
    CHECK(j["rootfs"] == "/b/rootfs");
    CHECK(j.contains("created"));
    auto stopped = nlohmann::json::parse(oci_state_json(sample(), ContainerStatus::Stopped, false));
    CHECK(stopped["pid"] == 0);
    CHECK_FALSE(stopped.contains("rootfs"));
}

TEST_CASE("state store: create is exclusive, open and remove work") {
    std::string root = temp_root();
    StateStore store(root + "/nested/root");
    auto d = store.create("c1");
    REQUIRE(d.ok());
    CHECK(d->save(sample()).ok());
    auto again = store.create("c1");
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().message() == "container with id c1 already exists");
    CHECK(*store.ids() == std::vector<std::string>{"c1"});
    auto loaded = d->load();
    REQUIRE(loaded.ok());
    CHECK(loaded->id == "c1");
    CHECK(d->remove().ok());
    auto gone = store.open("c1");
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().message() == "container c1 does not exist");
    rm_rf(root);
}

TEST_CASE("state store: concurrent creates of one id, exactly one wins") {
    std::string root = temp_root();
    StateStore store(root);
    std::vector<std::thread> threads;
    std::atomic<int> wins{0};
    std::vector<ContainerDir> held(8);
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto d = store.create("same");
            if (d.ok()) {
                ++wins;
                held[i] = std::move(*d);
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(wins == 1);
    rm_rf(root);
}

TEST_CASE("state: rfc3339 timestamps have nanoseconds and Z") {
    std::string t = rfc3339_now();
    CHECK(t.size() == 30);
    CHECK(t[10] == 'T');
    CHECK(t.back() == 'Z');
    // It reads back as the current UTC time.
    tm parsed{};
    long nanos = -1;
    REQUIRE(std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%9ldZ", &parsed.tm_year, &parsed.tm_mon,
                        &parsed.tm_mday, &parsed.tm_hour, &parsed.tm_min, &parsed.tm_sec,
                        &nanos) == 7);
    parsed.tm_year -= 1900;
    parsed.tm_mon -= 1;
    CHECK(nanos >= 0);
    CHECK(nanos < 1000000000L);
    CHECK(std::labs(static_cast<long>(timegm(&parsed) - time(nullptr))) <= 2);
}

TEST_CASE("state: numbers must be integers in range (fuzzer findings)") {
    // Each of these was read as some other pid or timeout by a lax reader.
    std::string good = state_to_json(sample());
    auto with = [&](const std::string& key, const std::string& value) {
        auto j = nlohmann::json::parse(good);
        j[key] = nlohmann::json::parse(value);
        return state_from_json(j.dump());
    };
    CHECK(with("pid", "4242").ok());
    CHECK_FALSE(with("pid", "true").ok());
    CHECK_FALSE(with("pid", "1e100").ok());
    CHECK_FALSE(with("pid", "4294967297").ok());
    CHECK_FALSE(with("pid", "-3").ok());
    CHECK_FALSE(with("pid", "12.5").ok());
    CHECK_FALSE(with("startTime", "-1").ok());
    CHECK_FALSE(with("owner", "1001.5").ok());
    CHECK_FALSE(with("id", "7").ok());
    CHECK_FALSE(
        with("poststop", "[{\"path\": \"/h\", \"args\": [], \"env\": [], \"timeout\": 1e300}]")
            .ok());
    CHECK_FALSE(
        with("poststop", "[{\"path\": \"/h\", \"args\": [], \"env\": [], \"timeout\": 0}]").ok());
}

TEST_CASE("state: with exec.fifo, created only while the init still runs corral's sealed copy") {
    std::string root = temp_root();
    std::ofstream(root + "/exec.fifo") << "";
    // A stand-in init: /bin/sleep run from a memfd named as corral's copy.
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int mem = memfd_create("corral", 0);
        int bin = open("/bin/sleep", O_RDONLY);
        struct stat sb {};
        fstat(bin, &sb);
        off_t off = 0;
        while (off < sb.st_size && sendfile(mem, bin, &off, sb.st_size - off) > 0) {
        }
        char arg0[] = "sleep", arg1[] = "30";
        char* argv[] = {arg0, arg1, nullptr};
        fexecve(mem, argv, environ);
        _exit(127);
    }
    char link[64], target[256] = {};
    std::snprintf(link, sizeof link, "/proc/%d/exe", child);
    for (int i = 0; i < 200; ++i) {
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0 && std::string(target, n).rfind("/memfd:corral", 0) == 0) break;
        usleep(10000);
    }
    ContainerState st = sample();
    st.cgroup_paths.clear();
    st.init_exe.clear(); // an older corral's state: the memfd's name decides
    st.pid = child;
    st.start_time = corral::sys::process_start_time(child);
    CHECK(derive_status(st, root) == ContainerStatus::Created);
    // With the image's identity recorded (corral's overlay view has no
    // telling name), the identity decides, not the name.
    st.init_exe = corral::runtime::exe_identity(link);
    REQUIRE_FALSE(st.init_exe.empty());
    CHECK(derive_status(st, root) == ContainerStatus::Created);
    st.init_exe = "1:1";
    CHECK(derive_status(st, root) == ContainerStatus::Running);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    rm_rf(root);
}
