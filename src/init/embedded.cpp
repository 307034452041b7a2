#include "init/embedded.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include "common/syscalls.hpp"

extern "C" const char corral_init_blob[];
extern "C" const char corral_init_blob_end[];

namespace corral::init {

size_t embedded_size() {
    return static_cast<size_t>(corral_init_blob_end - corral_init_blob);
}

Result<UniqueFd> sealed_init_memfd() {
    UniqueFd fd(memfd_create("corral-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) return sys_error("memfd_create", "corral-init");
    if (sys::write_all(fd.get(), corral_init_blob, embedded_size()) < 0)
        return sys_error("write", "corral-init memfd");
    if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return sys_error("seal", "corral-init memfd");
    return fd;
}

} // namespace corral::init
