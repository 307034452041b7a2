#include <doctest/doctest.h>

#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "init/embedded.hpp"
#include "init/options.hpp"

using namespace corral;

namespace {

spec::Spec with_pid_ns(std::string path = "") {
    spec::Spec s;
    s.linux.emplace();
    s.linux->namespaces.push_back({"pid", path});
    s.linux->namespaces.push_back({"mount", ""});
    return s;
}

} // namespace

TEST_CASE("init: grace durations") {
    CHECK(*init::parse_grace("5s") == 5000);
    CHECK(*init::parse_grace("500ms") == 500);
    CHECK(*init::parse_grace("1.5s") == 1500);
    CHECK(*init::parse_grace("10") == 10000);
    CHECK(*init::parse_grace("0") == 0);
    CHECK(*init::parse_grace("3600s") == 3600000);
    for (const char* bad : {"", "-1s", "+1s", " 1s", "5m", "s", "ms", "1e999", "nan", "5 s"}) {
        auto g = init::parse_grace(bad);
        CHECK_MESSAGE(!g.ok(), bad);
        if (!g.ok()) CHECK(g.error().message().find("org.corral.init.grace") != std::string::npos);
    }
    auto long_one = init::parse_grace("3601s");
    REQUIRE_FALSE(long_one.ok());
    CHECK(long_one.error().message().find("longer than an hour") != std::string::npos);
}

TEST_CASE("init: off unless --init or the annotation asks") {
    auto s = with_pid_ns();
    CHECK_FALSE(init::options_for(s, false)->enabled);
    CHECK(init::options_for(s, true)->enabled);
    s.annotations["org.corral.init"] = "true";
    CHECK(init::options_for(s, false)->enabled);
    s.annotations["org.corral.init"] = "false";
    CHECK_FALSE(init::options_for(s, false)->enabled);
    CHECK(init::options_for(s, true)->enabled);
    s.annotations["org.corral.init"] = "yes";
    auto bad = init::options_for(s, false);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message().find("annotations.org.corral.init:") != std::string::npos);
}

TEST_CASE("init: grace and process-group annotations") {
    auto s = with_pid_ns();
    s.annotations["org.corral.init.grace"] = "250ms";
    s.annotations["org.corral.init.pgroup"] = "true";
    auto o = init::options_for(s, true);
    REQUIRE(o.ok());
    CHECK(o->grace_ms == 250);
    CHECK(o->signal_group);
    CHECK(init::options_for(with_pid_ns(), true)->grace_ms == init::kDefaultGraceMs);
    s.annotations["org.corral.init.grace"] = "soon";
    CHECK_FALSE(init::options_for(s, true).ok());
    // A bad value is an error even when init is off: the config is wrong either way.
    CHECK_FALSE(init::options_for(s, false).ok());
}

TEST_CASE("init: needs a new pid namespace") {
    spec::Spec none;
    none.linux.emplace();
    auto e = init::options_for(none, true);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().message().find("pid namespace") != std::string::npos);
    CHECK_FALSE(init::options_for(with_pid_ns("/proc/1/ns/pid"), true).ok());
    CHECK(init::options_for(none, false).ok());
}

TEST_CASE("init: the embedded program is a static ELF in a fully sealed memfd") {
    REQUIRE(init::embedded_size() > 1000);
    auto fd = init::sealed_init_memfd();
    REQUIRE(fd.ok());
    struct stat st {};
    REQUIRE(fstat(fd->get(), &st) == 0);
    CHECK(static_cast<size_t>(st.st_size) == init::embedded_size());
    char magic[4] = {};
    REQUIRE(pread(fd->get(), magic, 4, 0) == 4);
    CHECK(std::string(magic, 4) == "\x7f"
                                   "ELF");
    const int all = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    int seals = fcntl(fd->get(), F_GET_SEALS);
    CHECK((seals & all) == all);
    CHECK(pwrite(fd->get(), "x", 1, 0) < 0);
    CHECK((fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);
    // A new open for writing gets a file whose writes fail just the same
    // (while corral-init runs from it, the open itself fails: ETXTBSY).
    std::string path = "/proc/self/fd/" + std::to_string(fd->get());
    int w = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
        CHECK(write(w, "x", 1) < 0);
        close(w);
    }
}
