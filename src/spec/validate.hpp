// Semantic checks on a parsed Spec, run before anything on the host is
// touched, plus the strict parsers for untrusted identifiers.
#pragma once

#include "common/result.hpp"
#include "spec/spec.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace corral::spec {

// Checks the rules a config must meet before create: versions, paths,
// namespaces and the settings that depend on them, limits, names. The first
// broken rule is returned; its message names the field
// ("config.json: process.cwd: must be an absolute path, got \"tmp\"").
// A relative root.path is resolved against bundle_dir.
Status validate_spec(const Spec& spec, const std::string& bundle_dir);

// The process rules of validate_spec, on their own (exec's process).
Status validate_process(const Process& p);

// A container id becomes a directory name under the state root, so it is
// limited to [A-Za-z0-9_+.-], 1..1024 characters, and never "." or "..".
Status validate_container_id(std::string_view id);

// A uid or gid given as text (CLI flags): plain decimal digits only, no sign,
// no whitespace, no leading zeros, within uint32, and never 4294967295, which
// setresuid()/setresgid() read as "leave unchanged".
Result<uint32_t> parse_id_strict(std::string_view s);

} // namespace corral::spec
