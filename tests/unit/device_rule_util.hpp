// A spec::DeviceRule in one call, for the device tests.
#pragma once

#include <optional>
#include <string>

#include "spec/spec.hpp"

namespace corral::test {

inline spec::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major,
                             std::optional<int64_t> minor, std::string access) {
    spec::DeviceRule r;
    r.allow = allow;
    r.type = std::move(type);
    r.major = major;
    r.minor = minor;
    r.access = std::move(access);
    return r;
}

} // namespace corral::test
