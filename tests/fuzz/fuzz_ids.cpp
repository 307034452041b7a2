// Container ids become directory names and uids reach setresuid(); both
// parsers guard security boundaries, so they are checked against an
// independent statement of the documented rule in both directions: what
// the rule allows is accepted, and nothing else is.
#include "spec/validate.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool id_rule(std::string_view id) {
    if (id.empty() || id.size() > 1024 || id == "." || id == "..") return false;
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// Canonical decimal within uint32, minus the "unchanged" value.
bool uid_rule(std::string_view s) {
    if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v < 4294967295u;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    auto id = corral::spec::validate_container_id(text);
    FUZZ_REQUIRE(id.ok() == id_rule(text));
    if (!id) (void)id.error().message();

    auto uid = corral::spec::parse_id_strict(text);
    FUZZ_REQUIRE(uid.ok() == uid_rule(text));
    if (uid) {
        FUZZ_REQUIRE(*uid != 4294967295u);
        FUZZ_REQUIRE(std::to_string(*uid) == text);
    } else {
        (void)uid.error().message();
    }
    return 0;
}
