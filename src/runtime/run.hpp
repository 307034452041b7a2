#pragma once

#include "runtime/lifecycle.hpp"

namespace corral::runtime {

// Returns the container's exit code (128+N when killed by signal N); with
// detach, 0 once the process runs.
Result<int> run_container(const CreateRequest& req, bool detach, bool keep);

} // namespace corral::runtime
