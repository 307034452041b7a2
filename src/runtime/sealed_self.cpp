#include "runtime/sealed_self.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/mount.h>
#include <string>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

extern char** environ;

namespace corral::runtime {

namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr long kOverlayMagic = 0x794c7630; // OVERLAYFS_SUPER_MAGIC
constexpr const char* kSecondLower = "/run/corral-sealing";

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

// An overlayfs without an upper layer is read-only for good: unlike a
// read-only bind mount it cannot be remounted writable, and this one is
// never attached anywhere, so nobody can reach it but through the exe
// link. It needs two lower layers; the second is an empty directory of
// ours, below the binary's so nothing in it can shadow the binary.
UniqueFd open_second_lower() {
    if (::mkdir(kSecondLower, 0700) < 0 && errno != EEXIST) return {};
    UniqueFd dir(::open(kSecondLower, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!dir || fstat(dir.get(), &st) < 0 || st.st_uid != 0) return {};
    return dir;
}

// The running binary seen through a fresh overlay of its own directory:
// no copy, the page cache is shared with the binary on disk.
UniqueFd overlay_view(int self) {
    if (geteuid() != 0) return {};
    char target[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", target, sizeof target - 1);
    if (n <= 0) return {};
    std::string path(target, static_cast<size_t>(n));
    size_t slash = path.rfind('/');
    // Replaced or removed since it started: the memfd copy of what runs.
    if (slash == std::string::npos || path.ends_with(" (deleted)")) return {};
    std::string name = path.substr(slash + 1);
    UniqueFd bin_dir(
        ::open(slash == 0 ? "/" : path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd second = open_second_lower();
    if (!bin_dir || !second) return {};

    // fd paths: no escaping of ':' or ',' in the binary's directory.
    std::string lower = fd_path(bin_dir.get()) + ":" + fd_path(second.get());
    UniqueFd ctx(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
    if (!ctx) return {};
    if (::syscall(SYS_fsconfig, ctx.get(), FSCONFIG_SET_STRING, "lowerdir", lower.c_str(), 0) < 0)
        return {};
    // xino would be switched on when the layers are on different
    // filesystems, and then logs a line per mount; nothing here needs it.
    ::syscall(SYS_fsconfig, ctx.get(), FSCONFIG_SET_STRING, "xino", "off", 0);
    if (::syscall(SYS_fsconfig, ctx.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) return {};
    UniqueFd mnt(
        static_cast<int>(::syscall(SYS_fsmount, ctx.get(), FSMOUNT_CLOEXEC,
                                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID)));
    if (!mnt) return {};
    UniqueFd exe(::openat(mnt.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat want {
    }, got{};
    // A binary swapped in the window since our exec would still be a
    // corral, but not the one the caller ran: refuse that one.
    if (!exe || fstat(self, &want) < 0 || fstat(exe.get(), &got) < 0 || !S_ISREG(got.st_mode) ||
        got.st_size != want.st_size || got.st_ino != want.st_ino)
        return {};
    return exe;
}

UniqueFd memfd_copy(int self) {
    struct stat st {};
    if (fstat(self, &st) < 0) return {};
    UniqueFd mem(memfd_create("corral", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem) return {};
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mem.get(), self, &off, static_cast<size_t>(st.st_size - off));
        if (n <= 0) return {};
    }
    if (fcntl(mem.get(), F_ADD_SEALS, kSeals) < 0) return {};
    return mem;
}

} // namespace

bool running_sealed() {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return false;
    int seals = fcntl(self.get(), F_GET_SEALS);
    if (seals >= 0 && (seals & F_SEAL_WRITE) != 0) return true;
    struct statfs fs {};
    struct statvfs vfs {};
    return fstatfs(self.get(), &fs) == 0 && fs.f_type == kOverlayMagic &&
           fstatvfs(self.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
}

void reexec_sealed(char** argv) {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return;
    UniqueFd image = overlay_view(self.get());
    if (!image) image = memfd_copy(self.get());
    if (!image) return;
    // CLOEXEC on the image fd is fine for an ELF: the kernel maps it
    // before closing the fd, and no fd of it reaches the new program.
    fexecve(image.get(), argv, environ);
}

} // namespace corral::runtime
