// config.json is the one document corral reads from an untrusted bundle, so
// parsing and validating any byte string must end in a Result, never in an
// exception, a crash or undefined behaviour.
#include "spec/parse.hpp"
#include "spec/validate.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = corral::spec::parse_config(text);
    if (!spec) {
        // Building the message walks the error path too (quoting, lowercasing).
        (void)spec.error().message();
        return 0;
    }
    // A bundle that cannot exist: root.path checks then stat() a path that
    // fails instead of depending on this machine's files, except for
    // absolute root paths, which only stat() and so stay harmless.
    auto st = corral::spec::validate_spec(*spec, "/nonexistent-bundle");
    if (!st) (void)st.error().message();
    return 0;
}
