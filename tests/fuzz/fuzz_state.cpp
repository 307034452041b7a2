// state.json is rewritten by every command and may be truncated or edited by
// hand; reading it must give a Result, never a crash or undefined behaviour.
// What it does read must be what the file says (a pid that does not fit is
// an error, not another pid), and must survive a save/load cycle unchanged.
#include "runtime/state.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace {

using nlohmann::json;

// The number in the document equals the value read: no wrap-around, no
// truncated fraction, no boolean taken for 0 or 1.
template <typename T> bool same_number(const json& v, T got) {
    if (v.is_number_unsigned()) return std::cmp_equal(v.get<uint64_t>(), got);
    if (v.is_number_integer()) return std::cmp_equal(v.get<int64_t>(), got);
    if (v.is_number_float()) return v.get<double>() == static_cast<double>(got);
    return false;
}

// Walks a hook list the way state.cpp does (any iterable json, in order).
void check_timeouts(const json& arr, const std::vector<corral::spec::Hook>& hooks) {
    size_t i = 0;
    for (const auto& o : arr) {
        FUZZ_REQUIRE(i < hooks.size());
        if (o.is_object() && o.contains("timeout")) {
            FUZZ_REQUIRE(hooks[i].timeout.has_value());
            FUZZ_REQUIRE(same_number(o.at("timeout"), *hooks[i].timeout));
        }
        ++i;
    }
}

bool same_hooks(const std::vector<corral::spec::Hook>& a,
                const std::vector<corral::spec::Hook>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].path != b[i].path || a[i].args != b[i].args || a[i].env != b[i].env ||
            a[i].timeout != b[i].timeout)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto st = corral::runtime::state_from_json(text);
    if (!st) {
        (void)st.error().message();
        return 0;
    }
    const auto& a = *st;
    FUZZ_REQUIRE(a.pid >= 0);

    // state_from_json() accepted it, so it is a JSON object with these keys.
    json doc = json::parse(text, nullptr, false);
    FUZZ_REQUIRE(doc.is_object());
    FUZZ_REQUIRE(same_number(doc.at("pid"), a.pid));
    FUZZ_REQUIRE(same_number(doc.at("startTime"), a.start_time));
    FUZZ_REQUIRE(same_number(doc.at("owner"), a.owner));
    check_timeouts(doc.at("poststart"), a.poststart);
    check_timeouts(doc.at("poststop"), a.poststop);

    auto back = corral::runtime::state_from_json(corral::runtime::state_to_json(a));
    FUZZ_REQUIRE(back.ok());
    const auto& b = *back;
    FUZZ_REQUIRE(a.id == b.id && a.pid == b.pid && a.bundle == b.bundle);
    // The rest is what `delete` and the poststop hooks need later on.
    FUZZ_REQUIRE(a.oci_version == b.oci_version && a.start_time == b.start_time &&
                 a.rootfs == b.rootfs && a.created == b.created && a.annotations == b.annotations &&
                 a.cgroup_paths == b.cgroup_paths && a.owner == b.owner &&
                 a.use_init == b.use_init);
    FUZZ_REQUIRE(same_hooks(a.poststart, b.poststart) && same_hooks(a.poststop, b.poststop));
    return 0;
}
