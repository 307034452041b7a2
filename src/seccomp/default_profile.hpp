// The default seccomp profile shipped in configs/seccomp-default.json, which
// `corral spec --seccomp` puts into a generated config.
#pragma once

#include "common/result.hpp"
#include "spec/spec.hpp"

#include <string>
#include <string_view>

namespace corral::seccomp {

// The text of the default profile (a complete linux.seccomp object), read
// from $CORRAL_SECCOMP_PROFILE when set, else the installed copy
// (/usr/local/share/corral/seccomp-default.json), else the source tree's
// configs/. A set but unreadable $CORRAL_SECCOMP_PROFILE is an error rather
// than a silent fallback.
Result<std::string> default_seccomp_json();

// Parses the text of a linux.seccomp object as the config parser would.
// Errors name the field as "<source>: linux.seccomp.syscalls[2].names: ...".
Result<spec::Seccomp> parse_seccomp_json(std::string_view text, const std::string& source);

} // namespace corral::seccomp
