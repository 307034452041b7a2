// `corral kill` passes user text to parse_signal(), and signal_name() runs
// in forked children, so both must hold for any input: a parsed signal has a
// name, and that name parses back to the same number.
#include "common/signals.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto sig = corral::parse_signal(text);
    if (!sig) {
        (void)sig.error().message();
        return 0;
    }
    FUZZ_REQUIRE(*sig >= 1 && *sig <= 64);
    const char* name = corral::signal_name(*sig);
    FUZZ_REQUIRE(name != nullptr);
    // "SIG32"-style names stand for numbers glibc reserves and are not
    // meant to be parsed back; every other name is.
    bool reserved = std::strlen(name) > 3 && name[3] >= '0' && name[3] <= '9';
    if (!reserved) {
        auto back = corral::parse_signal(name);
        FUZZ_REQUIRE(back.ok() && *back == *sig);
    }
    return 0;
}
