// Joining a pid or time namespace only affects children, so the process that
// joined clones the real one. CLONE_PARENT makes that clone corral's child,
// so corral can wait for it; the sibling reports its host pid to corral over
// the sync socket (InitPid, acked) and is then released.
#pragma once

#include "common/syscalls.hpp"

namespace corral::runtime {

// Returns 0 in the new process once corral has its pid. In the caller it
// never returns: after the handshake it _exits. Returns -1 after
// child_fail() when the clone itself failed. Child-safe.
pid_t clone_sibling(int sync_fd, sys::Clone3Args& args);

} // namespace corral::runtime
