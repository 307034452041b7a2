#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <string>

#include "common/signals.hpp"

using corral::all_signal_names;
using corral::parse_signal;
using corral::signal_name;

namespace {

int parsed(const char* text) {
    auto r = parse_signal(text);
    REQUIRE_MESSAGE(r.ok(), text << ": " << r.error().message());
    return *r;
}

std::string rejection(const char* text) {
    auto r = parse_signal(text);
    REQUIRE_MESSAGE(!r.ok(), text << " was accepted");
    return r.error().message();
}

} // namespace

TEST_CASE("signals: names with and without SIG, in any case") {
    CHECK(parsed("TERM") == SIGTERM);
    CHECK(parsed("SIGTERM") == SIGTERM);
    CHECK(parsed("term") == SIGTERM);
    CHECK(parsed("sigterm") == SIGTERM);
    CHECK(parsed("SigKill") == SIGKILL);
    CHECK(parsed("HUP") == SIGHUP);
    CHECK(parsed("USR1") == SIGUSR1);
    CHECK(parsed("SIGUSR2") == SIGUSR2);
    CHECK(parsed("WINCH") == SIGWINCH);
    CHECK(parsed("SIGSYS") == SIGSYS);
    CHECK(parsed("PWR") == SIGPWR);
    CHECK(parsed("STKFLT") == SIGSTKFLT);
}

TEST_CASE("signals: aliases parse to their canonical number") {
    CHECK(parsed("IOT") == SIGABRT);
    CHECK(parsed("SIGCLD") == SIGCHLD);
    CHECK(parsed("POLL") == SIGIO);
    CHECK(std::string(signal_name(SIGABRT)) == "SIGABRT");
    CHECK(std::string(signal_name(SIGCHLD)) == "SIGCHLD");
    CHECK(std::string(signal_name(SIGIO)) == "SIGIO");
}

TEST_CASE("signals: numbers") {
    CHECK(parsed("9") == 9);
    CHECK(parsed("1") == 1);
    CHECK(parsed("15") == 15);
    CHECK(parsed("64") == 64);
    CHECK(parsed("09") == 9);
}

TEST_CASE("signals: real-time forms are bounded by SIGRTMIN and SIGRTMAX") {
    const int lo = SIGRTMIN, hi = SIGRTMAX;
    CHECK(parsed("RTMIN") == lo);
    CHECK(parsed("SIGRTMIN") == lo);
    CHECK(parsed("rtmin+3") == lo + 3);
    CHECK(parsed("SIGRTMIN+0") == lo);
    CHECK(parsed("RTMAX") == hi);
    CHECK(parsed("SIGRTMAX-2") == hi - 2);
    CHECK(parsed("sigrtmax-0") == hi);
    CHECK(parsed(("RTMIN+" + std::to_string(hi - lo)).c_str()) == hi);
    CHECK(parsed(("RTMAX-" + std::to_string(hi - lo)).c_str()) == lo);

    CHECK(rejection(("RTMIN+" + std::to_string(hi - lo + 1)).c_str()).find("out of range") !=
          std::string::npos);
    CHECK(rejection("RTMAX+1").find("out of range") != std::string::npos);
    CHECK(rejection("RTMIN-1").find("out of range") != std::string::npos);
    CHECK(rejection("RTMAX-99999999999999").find("out of range") != std::string::npos);
    rejection("RTMIN+");
    rejection("RTMIN+x");
    rejection("RTMIN3");
    rejection("RTMIN++3");
    rejection("RTMIN+-3");
    rejection("RTMI");
}

TEST_CASE("signals: rejections") {
    CHECK(rejection("FOO") == "invalid signal \"FOO\"");
    CHECK(rejection("SIGFOO") == "invalid signal \"SIGFOO\"");
    CHECK(rejection("0") == "invalid signal \"0\": out of range 1..64");
    CHECK(rejection("65") == "invalid signal \"65\": out of range 1..64");
    rejection("99999999999999999999");
    rejection("-9");
    rejection("+9");
    rejection("");
    rejection("SIG");
    rejection("sig");
    rejection("SIG9");
    rejection(" TERM");
    rejection("TERM ");
    rejection("9x");
    rejection("SIGSIGTERM");
    rejection("32a");
    CHECK(parse_signal("FOO").error().err == 0);
}

TEST_CASE("signals: names") {
    CHECK(std::string(signal_name(SIGTERM)) == "SIGTERM");
    CHECK(std::string(signal_name(SIGKILL)) == "SIGKILL");
    CHECK(std::string(signal_name(SIGHUP)) == "SIGHUP");
    const int lo = SIGRTMIN, hi = SIGRTMAX;
    CHECK(std::string(signal_name(lo)) == "SIGRTMIN");
    CHECK(std::string(signal_name(lo + 3)) == "SIGRTMIN+3");
    CHECK(std::string(signal_name(hi)) == "SIGRTMAX");
    CHECK(std::string(signal_name(hi - 2)) == "SIGRTMAX-2");
    // Below glibc's SIGRTMIN the kernel's first real-time numbers have no name.
    for (int n = SIGSYS + 1; n < lo; ++n)
        CHECK(std::string(signal_name(n)) == "SIG" + std::to_string(n));
    CHECK(signal_name(0) == nullptr);
    CHECK(signal_name(-1) == nullptr);
    CHECK(signal_name(65) == nullptr);
}

TEST_CASE("signals: every number 1..64 round-trips through its name") {
    for (int n = 1; n <= 64; ++n) {
        const char* name = signal_name(n);
        REQUIRE(name != nullptr);
        const std::string s = name;
        if (n > SIGSYS && n < SIGRTMIN) continue; // "SIG32" is printable, not parseable
        auto r = parse_signal(s);
        REQUIRE_MESSAGE(r.ok(), s);
        CHECK_MESSAGE(*r == n, s);
        // Without the prefix and in lower case as well.
        std::string lower = s.substr(3);
        for (char& c : lower)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        auto r2 = parse_signal(lower);
        REQUIRE_MESSAGE(r2.ok(), lower);
        CHECK(*r2 == n);
    }
}

TEST_CASE("signals: the features list") {
    const auto names = all_signal_names();
    const int lo = SIGRTMIN, hi = SIGRTMAX;
    // The 31 standard signals of Linux plus every real-time one glibc exposes.
    CHECK(names.size() == static_cast<size_t>(31 + (hi - lo + 1)));
    CHECK(names.front() == "SIGHUP");
    CHECK(names.back() == "SIGRTMAX");
    for (const auto& n : names) {
        CHECK(n.rfind("SIG", 0) == 0);
        CHECK(parse_signal(n).ok());
    }
    CHECK(std::find(names.begin(), names.end(), "SIGIOT") == names.end());
    CHECK(std::find(names.begin(), names.end(), "SIGRTMIN+1") != names.end());
}
