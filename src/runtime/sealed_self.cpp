#include "runtime/sealed_self.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

extern char** environ;

namespace corral::runtime {

namespace {
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
}

bool running_sealed() {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return false;
    int seals = fcntl(self.get(), F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_WRITE) != 0;
}

void reexec_sealed(char** argv) {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return;
    struct stat st {};
    if (fstat(self.get(), &st) < 0) return;
    UniqueFd mem(memfd_create("corral", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem) return;
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mem.get(), self.get(), &off, static_cast<size_t>(st.st_size - off));
        if (n <= 0) return;
    }
    if (fcntl(mem.get(), F_ADD_SEALS, kSeals) < 0) return;
    // CLOEXEC on the memfd is fine for an ELF image: the kernel maps it
    // before closing the fd, and no fd of it reaches the new program.
    fexecve(mem.get(), argv, environ);
}

} // namespace corral::runtime
