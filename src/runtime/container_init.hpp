// The container side of clone. These never return: they report failures as
// an Error frame on the sync socket and _exit.
#pragma once

#include "runtime/plan.hpp"

namespace corral::runtime {

// Becomes the container process: namespaces, rootfs, process attributes,
// credentials, the wait on the exec fifo, then execve.
[[noreturn]] void container_init_main(const Plan& plan, int sync_fd, bool namespaces_joined);

// Joins pid/time namespaces (which only apply to children), then clones the
// init as a sibling (CLONE_PARENT) so corral stays its parent, reports its
// pid and exits.
[[noreturn]] void intermediate_main(const Plan& plan, int sync_fd);

} // namespace corral::runtime
