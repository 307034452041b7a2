// SCMP_ACT_NOTIFY: the container's listener fd goes to the agent at
// linux.seccomp.listenerPath, as the runtime-spec describes: one message per
// connection, the container process state as JSON, the fd by SCM_RIGHTS.
#pragma once

#include <string>

#include <sys/types.h>

#include "common/result.hpp"

namespace corral::seccomp {

// The runtime-spec "container process state" document.
std::string listener_state_json(pid_t pid, const std::string& metadata,
                                const std::string& oci_state_json);

Status send_listener_fd(const std::string& listener_path, const std::string& payload,
                        int listener_fd);

} // namespace corral::seccomp
