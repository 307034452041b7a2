// The in-container PID 1 (corral_init.c), compiled into corral as bytes.
#pragma once

#include <cstddef>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace corral::init {

// The embedded program's size (a static ELF).
size_t embedded_size();

// A memfd holding the program, sealed against every write, shrink and grow
// (and against removing those seals), close-on-exec. The container's init
// runs it with execveat(AT_EMPTY_PATH): /proc/1/exe is then this memfd,
// which no process can open for writing, instead of a file of the host.
Result<UniqueFd> sealed_init_memfd();

} // namespace corral::init
