// Errors on the child side of clone. The child never throws and avoids the
// heap: a failing step fills this fixed-size record, which the caller sends
// over the sync socket before _exit. Functions on the child side return
// false (or -1) after calling child_fail().
#pragma once

#include <cstddef>

namespace corral {

struct ChildError {
    int err = 0;
    char op[96] = {};
    char detail[320] = {};
};

// The one record of the current (single-threaded) child process.
ChildError& child_error();

// Record errno (captured by the caller, usually `errno`), what failed and the
// path; always returns false so call sites can `return child_fail(...)`.
bool child_fail(int err, const char* op, const char* detail = nullptr);

} // namespace corral
