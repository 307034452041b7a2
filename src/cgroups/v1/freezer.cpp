// The v1 freezer. Unlike cgroup.freeze in v2, a v1 freeze can stay in
// FREEZING for as long as tasks keep forking or joining the group, so
// freezing is a retry loop with a deadline (after runc's freezer.go).
#include <chrono>
#include <string>
#include <thread>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

namespace detail {
// The loop with its deadline and state reader as parameters, so unit tests
// can drive the timeout path (a plain file never reports FREEZING by itself).
using StateReader = Result<std::string> (*)(int dir);
Status freeze_until(int dir, std::chrono::milliseconds timeout, StateReader read_state);
} // namespace detail

namespace {

constexpr const char* kState = "freezer.state";
constexpr std::chrono::milliseconds kFreezeTimeout{5000};
constexpr auto kThawTimeout = std::chrono::seconds(1);

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

Result<std::string> read_state(int dir) {
    auto s = read_file(dir, kState);
    if (!s) return s.error();
    return trimmed(*s);
}

} // namespace

Status detail::freeze_until(int dir, std::chrono::milliseconds timeout, StateReader reader) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + timeout;
    // A group left FROZEN or FREEZING after a failure would hang the
    // container with nobody to thaw it: thaw back on every error path.
    auto fail = [dir](Error e) {
        (void)write_file(dir, kState, "THAWED");
        return e;
    };
    for (unsigned i = 0;; ++i) {
        // runc found that an occasional thaw and pause lets a fork storm
        // settle, which raises the odds that the next freeze completes.
        if (i % 50 == 49) {
            (void)write_file(dir, kState, "THAWED");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (auto w = write_file(dir, kState, "FROZEN"); !w.ok()) return fail(w.error());
        // Several reads per write: re-writing FROZEN restarts the freeze of
        // tasks that appeared since the last one.
        for (int poll = 0; poll < 4; ++poll) {
            auto state = reader(dir);
            if (!state) return fail(state.error());
            if (*state == "FROZEN") return {};
            if (*state != "FREEZING" && *state != "THAWED")
                return fail(plain_error("freeze:", "unexpected freezer.state \"" + *state + "\""));
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        if (clock::now() >= deadline)
            return fail(plain_error(
                "freeze:", "the group is still freezing after " + std::to_string(timeout.count()) +
                               " ms (its processes may keep forking); it was thawed back"));
    }
}

Status freeze(int dir) {
    return detail::freeze_until(dir, kFreezeTimeout, read_state);
}

Status thaw(int dir) {
    CORRAL_TRY(write_file(dir, kState, "THAWED"));
    // Thawing is synchronous in the kernel; what can keep a group FROZEN is
    // a frozen ancestor, which a short wait tells apart from a slow read.
    auto deadline = std::chrono::steady_clock::now() + kThawTimeout;
    while (true) {
        auto state = read_state(dir);
        if (!state) return state.error();
        if (*state == "THAWED") return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return plain_error("thaw:", "freezer.state is still " + *state +
                                            " after writing THAWED (is a parent group frozen?)");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

Result<bool> frozen(int dir) {
    auto state = read_state(dir);
    if (!state) return state.error();
    // FREEZING is not paused yet: `pause` has not returned success.
    if (*state == "THAWED" || *state == "FREEZING") return false;
    if (*state != "FROZEN")
        return plain_error("read freezer state:", "unexpected freezer.state \"" + *state + "\"");
    // FROZEN may be inherited from a frozen ancestor; as runc, only a freeze
    // of this group itself counts as paused. Kernels without the file say
    // nothing more.
    auto self = read_file(dir, "freezer.self_freezing");
    if (!self) return true;
    return trimmed(*self) != "0";
}

} // namespace corral::cgroups::v1
