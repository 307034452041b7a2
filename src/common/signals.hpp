// Signal names as users type them on the command line (`corral kill`) and as
// the `features` document lists them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace corral {

// Accepts "TERM", "SIGTERM", "term", "9", "RTMIN", "RTMIN+3", "SIGRTMAX-2".
// Real-time offsets are checked against SIGRTMIN()/SIGRTMAX() of this libc at
// run time, because glibc reserves the lowest kernel real-time signals.
// Rejects 0, negatives, numbers above 64 and anything unknown.
Result<int> parse_signal(std::string_view text);

// "SIGTERM", "SIGRTMIN+3", "SIGRTMAX-2"; "SIG32" for numbers glibc keeps for
// itself. Returns nullptr outside 1..64. Never allocates after the first
// call, so it may be used in a forked child.
const char* signal_name(int sig);

// Every name parse_signal() accepts in canonical form, in signal order:
// the standard signals, then SIGRTMIN..SIGRTMAX.
std::vector<std::string> all_signal_names();

} // namespace corral
