// The foreground half of `run` and `exec`: corral stays the process's parent,
// forwards the signals it receives and returns the process's exit status;
// with a terminal it also relays the pty (see TtyRelay in foreground.cpp).
#pragma once

#include <csignal>

#include "common/result.hpp"

namespace corral::runtime {

// Every signal corral forwards; blocked before the clone so none is lost
// between the clone and the wait loop (the child unblocks them before exec).
sigset_t forwarded_signals();

// Waits for the process behind pidfd (our child), forwarding signals from
// `forwarded` (already blocked) to it. With master >= 0 the pty is relayed to
// our stdin/stdout: our terminal in raw mode while it runs (restored on every
// return path), SIGWINCH turned into the pty's window size instead of being
// forwarded. Returns the exit code, or 128+N when killed by signal N.
Result<int> wait_foreground(int pidfd, const sigset_t& forwarded, int master);

} // namespace corral::runtime
