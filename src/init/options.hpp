// How a container asks for corral's PID 1: `--init`, or the annotations
//   org.corral.init         "true" asks for it ("false" is accepted and asks for nothing)
//   org.corral.init.grace   how long the rest of the container may take to exit after the
//                           command did: "5s" (the default), "500ms", "1.5s", "0", or plain
//                           seconds ("10")
//   org.corral.init.pgroup  "true": signals go to the command's process group
#pragma once

#include <string>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::init {

inline constexpr const char* kInitAnnotation = "org.corral.init";
inline constexpr const char* kGraceAnnotation = "org.corral.init.grace";
inline constexpr const char* kGroupAnnotation = "org.corral.init.pgroup";
inline constexpr long kDefaultGraceMs = 5000;

struct Options {
    bool enabled = false;
    long grace_ms = kDefaultGraceMs;
    bool signal_group = false;
};

// "5s", "250ms", "1.5s", "10" → milliseconds; at most one hour.
Result<long> parse_grace(const std::string& text);

// Reads the flag and the annotations; a bad value is an error naming the
// annotation. With init enabled, the config must give the container a new
// pid namespace: PID 1 signals everything left with kill(-1), which outside
// a namespace of its own would reach the host's processes.
Result<Options> options_for(const spec::Spec& spec, bool init_flag);

} // namespace corral::init
