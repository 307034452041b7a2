// The --pid-file that podman, conmon and containerd read after create.
#pragma once

#include <string>
#include <sys/types.h>

#include "common/result.hpp"

namespace corral::runtime {

// Writes the decimal pid with no trailing newline (readers such as conmon
// parse the whole file as a number). Atomic: the content goes to a fresh temp
// file in the same directory and is renamed over `path`, so a reader
// never sees a partial file. A relative path is relative to the cwd. On
// failure no temp file is left behind.
Status write_pid_file(const std::string& path, pid_t pid);

} // namespace corral::runtime
