#pragma once

#include <string>

namespace corral::runtime {

// The runtime-spec "features" document: what this build supports.
std::string features_json();

} // namespace corral::runtime
