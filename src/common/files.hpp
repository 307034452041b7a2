// Small file and time helpers shared by the parent side.
#pragma once

#include <string>

#include "common/result.hpp"

namespace corral {

// The whole content of a file; errors name the path and the errno.
Result<std::string> read_file(const std::string& path);

// Now in RFC 3339 with nanoseconds, UTC ("2026-01-02T03:04:05.123456789Z").
std::string rfc3339_now();

} // namespace corral
