#include "seccomp/default_profile.hpp"

#include "common/files.hpp"

#include "common/unique_fd.hpp"
#include "spec/parse_detail.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#ifndef CORRAL_SOURCE_DIR
#error "CORRAL_SOURCE_DIR must name the source tree (set by CMake)"
#endif

namespace corral::seccomp {

namespace {

constexpr const char* kInstalled = "/usr/local/share/corral/seccomp-default.json";
constexpr const char* kInSource = CORRAL_SOURCE_DIR "/configs/seccomp-default.json";

} // namespace

Result<std::string> default_seccomp_json() {
    const char* env = std::getenv("CORRAL_SECCOMP_PROFILE");
    if (env != nullptr && *env != '\0')
        return read_file(env).context("read seccomp profile from $CORRAL_SECCOMP_PROFILE");
    // Only a missing file moves on to the next place: an unreadable
    // installed profile should be reported, not quietly replaced.
    for (const char* path : {kInstalled, kInSource}) {
        auto text = read_file(path);
        if (text.ok() || text.error().err != ENOENT)
            return std::move(text).context("read default seccomp profile");
    }
    return Error{ENOENT, "read default seccomp profile",
                 std::string("(looked for ") + kInstalled + " and " + kInSource + ")"};
}

Result<spec::Seccomp> parse_seccomp_json(std::string_view text, const std::string& source) {
    using spec::detail::json;
    try {
        json doc = json::parse(text.begin(), text.end());
        spec::Seccomp out;
        auto st = spec::detail::read(doc, "linux.seccomp", out);
        if (!st.ok()) {
            // The shared readers say "config.json:"; this text came from
            // elsewhere.
            Error e = st.error();
            e.op = source + ":";
            return e;
        }
        return out;
    } catch (const std::exception& e) {
        // nlohmann's "[json.exception.parse_error.101] " prefix helps nobody.
        std::string what = e.what();
        if (what.rfind("[json.exception.", 0) == 0) {
            auto end = what.find("] ");
            if (end != std::string::npos) what.erase(0, end + 2);
        }
        return plain_error(source + ":", "invalid json: " + what);
    }
}

} // namespace corral::seccomp
