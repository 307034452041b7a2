#include "ns/copy_up.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unique_fd.hpp"

namespace corral::ns {

namespace {

// Deeper trees than this in a directory a tmpfs covers are not an image's
// /tmp or /run; the bound keeps the stack (a dirent buffer per level) small.
constexpr int kMaxDepth = 32;

struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

bool copy_file(int from, int to, const char* name, const struct stat& st, const char* shown) {
    UniqueFd in(::openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return child_fail(errno, "tmpcopyup: open", shown);
    UniqueFd out(::openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          st.st_mode & 07777));
    if (!out) return child_fail(errno, "tmpcopyup: create", shown);
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
        if (n < 0) return child_fail(errno, "tmpcopyup: copy", shown);
        if (n == 0) break; // the file shrank meanwhile
        left -= n;
    }
    if (::fchown(out.get(), st.st_uid, st.st_gid) != 0 ||
        ::fchmod(out.get(), st.st_mode & 07777) != 0)
        return child_fail(errno, "tmpcopyup: set owner and mode", shown);
    return true;
}

bool copy_entry(int from, int to, const char* name, int depth, const char* shown);

bool copy_level(int from, int to, int depth, const char* shown) {
    if (depth > kMaxDepth) return child_fail(ELOOP, "tmpcopyup: tree too deep", shown);
    alignas(8) char buf[4096];
    for (;;) {
        long n = ::syscall(SYS_getdents64, from, buf, sizeof buf);
        if (n < 0) return child_fail(errno, "tmpcopyup: read directory", shown);
        if (n == 0) return true;
        for (long off = 0; off < n;) {
            auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
            off += d->d_reclen;
            if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
            if (!copy_entry(from, to, d->d_name, depth, shown)) return false;
        }
    }
}

bool copy_entry(int from, int to, const char* name, int depth, const char* shown) {
    struct stat st {};
    if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return child_fail(errno, "tmpcopyup: stat", shown);
    mode_t perm = st.st_mode & 07777;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        return copy_file(from, to, name, st, shown);
    case S_IFDIR: {
        if (::mkdirat(to, name, perm) != 0) return child_fail(errno, "tmpcopyup: mkdir", shown);
        UniqueFd sub_from(::openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd sub_to(::openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_from || !sub_to) return child_fail(errno, "tmpcopyup: open directory", shown);
        if (!copy_level(sub_from.get(), sub_to.get(), depth + 1, shown)) return false;
        if (::fchown(sub_to.get(), st.st_uid, st.st_gid) != 0 || ::fchmod(sub_to.get(), perm) != 0)
            return child_fail(errno, "tmpcopyup: set owner and mode", shown);
        return true;
    }
    case S_IFLNK: {
        char target[PATH_MAX];
        ssize_t n = ::readlinkat(from, name, target, sizeof target - 1);
        if (n < 0) return child_fail(errno, "tmpcopyup: readlink", shown);
        target[n] = '\0';
        if (::symlinkat(target, to, name) != 0)
            return child_fail(errno, "tmpcopyup: symlink", shown);
        break;
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
        if (::mknodat(to, name, st.st_mode, st.st_rdev) != 0)
            return child_fail(errno, "tmpcopyup: mknod", shown);
        break;
    default:
        return true; // a socket is not state a copy can carry
    }
    if (::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
        return child_fail(errno, "tmpcopyup: set owner", shown);
    return true;
}

} // namespace

bool copy_tree(int from, int to, const char* shown) {
    return copy_level(from, to, 0, shown);
}

} // namespace corral::ns
