// The options list of a mount comes straight from config.json. Besides not
// crashing, the parse keeps a few promises the mount code relies on; each is
// checked here so a regression shows up as a crash with a reproducer.
#include "ns/mount_options.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mount.h>
#include <vector>

namespace {

bool known_propagation(unsigned long p) {
    for (unsigned long base : {MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE})
        if (p == base || p == (base | MS_REC)) return true;
    return p == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // NUL and comma both separate words, and empty words are kept, so the
    // fuzzer can reach "skip empty entries" as well as ordinary lists.
    std::vector<std::string> options(1);
    for (size_t i = 0; i < size; ++i) {
        char c = static_cast<char>(data[i]);
        if (c == '\0' || c == ',')
            options.emplace_back();
        else
            options.back() += c;
    }

    corral::ns::MountOptions o = corral::ns::parse_mount_options(options);

    // The last word wins, so a flag is never both asked on and asked off.
    FUZZ_REQUIRE((o.flags & o.clear) == 0);
    FUZZ_REQUIRE(known_propagation(o.propagation));
    FUZZ_REQUIRE(!o.recursive || o.bind);
    FUZZ_REQUIRE(!o.idmap_recursive || o.idmap);
    FUZZ_REQUIRE(!o.bind || (o.flags & MS_BIND));
    FUZZ_REQUIRE(!o.recursive || (o.flags & MS_REC));
    // data is the unknown words joined by commas; none of our words holds a
    // comma, so an empty piece would mean an empty word leaked through.
    if (!o.data.empty()) {
        FUZZ_REQUIRE(o.data.front() != ',' && o.data.back() != ',');
        FUZZ_REQUIRE(o.data.find(",,") == std::string::npos);
    }
    return 0;
}
