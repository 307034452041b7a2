// linux.seccomp comes from config.json, which an image partly controls, and
// its translation goes through libseccomp before any clone: any JSON must
// give a program or a clear error, and a program must fit the kernel's limit.
#include "seccomp/compile.hpp"
#include "seccomp/default_profile.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = corral::seccomp::parse_seccomp_json(text, "fuzz");
    if (!parsed) {
        (void)parsed.error().message();
        return 0;
    }
    std::vector<std::string> warnings;
    auto prog = corral::seccomp::compile_seccomp(*parsed, &warnings);
    if (!prog) {
        FUZZ_REQUIRE(!prog.error().message().empty());
        return 0;
    }
    FUZZ_REQUIRE(!prog->filter.empty());
    FUZZ_REQUIRE(prog->filter.size() <= 4096);
    return 0;
}
