#include "ns/procfs.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"
#include "ns/paths.hpp"

namespace corral::ns {

namespace {

constexpr ino_t kProcRootIno = 1; // PROC_ROOT_INO; not exported by the uapi headers

bool is_procfs(int fd) {
    struct statfs sfs {};
    return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

// Without openat2: one component at a time, O_NOFOLLOW, each one still on
// the same procfs as the root. A same-device bind inside procfs would pass
// the st_dev test; kernels without openat2 (< 5.6) get that weaker check.
int walk_procfs(int proc_fd, const char* rel, int flags) {
    struct stat root_st {};
    if (::fstat(proc_fd, &root_st) != 0) return -1;
    char buf[PATH_MAX];
    if (std::snprintf(buf, sizeof buf, "%s", rel) >= static_cast<int>(sizeof buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    UniqueFd cur(::fcntl(proc_fd, F_DUPFD_CLOEXEC, 3));
    if (!cur) return -1;
    char* save = nullptr;
    char* comp = strtok_r(buf, "/", &save);
    while (comp) {
        char* next = strtok_r(nullptr, "/", &save);
        if (std::strcmp(comp, "..") == 0) {
            errno = EXDEV;
            return -1;
        }
        if (std::strcmp(comp, ".") != 0) {
            int f = next ? O_PATH | O_DIRECTORY : flags;
            UniqueFd fd(::openat(cur.get(), comp, f | O_NOFOLLOW | O_CLOEXEC));
            if (!fd) return -1;
            struct stat s {};
            if (::fstat(fd.get(), &s) != 0) return -1;
            if (s.st_dev != root_st.st_dev || !is_procfs(fd.get())) {
                errno = EXDEV;
                return -1;
            }
            cur = std::move(fd);
        }
        comp = next;
    }
    return cur.release();
}

const char* skip_digits(const char* s) {
    const char* p = s;
    while (*p >= '0' && *p <= '9')
        ++p;
    return p == s ? nullptr : p;
}

// "self" reads "<pid>", "thread-self" reads "<pid>/task/<tid>": anything else
// is not a procfs we trust.
bool is_pid_link(const char* s) {
    const char* p = skip_digits(s);
    if (!p) return false;
    if (*p == '\0') return true;
    if (std::strncmp(p, "/task/", 6) != 0) return false;
    p = skip_digits(p + 6);
    return p && *p == '\0';
}

// Rewrites "self/..." to "<pid>/..." as seen by this procfs instance, which
// need not be our pid namespace's view (before pivot_root it is the host's).
bool expand_self(int proc_fd, const char* rel, char* out, size_t size) {
    const char* link = nullptr;
    const char* rest = nullptr;
    if (std::strncmp(rel, "self/", 5) == 0) {
        link = "self";
        rest = rel + 4;
    } else if (std::strncmp(rel, "thread-self/", 12) == 0) {
        link = "thread-self";
        rest = rel + 11;
    }
    if (!link) return std::snprintf(out, size, "%s", rel) < static_cast<int>(size);
    char target[64];
    ssize_t n = ::readlinkat(proc_fd, link, target, sizeof target - 1);
    if (n <= 0) return false;
    target[n] = '\0';
    if (!is_pid_link(target)) {
        errno = EINVAL;
        return false;
    }
    if (std::snprintf(out, size, "%s%s", target, rest) >= static_cast<int>(size)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return true;
}

} // namespace

int open_procfs_root(const char* proc_path) {
    // O_NOFOLLOW: a symlinked /proc opens as the link itself and fails the
    // statfs test below instead of leading somewhere else.
    UniqueFd fd(::open(proc_path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return -1;
    struct stat s {};
    if (::fstat(fd.get(), &s) != 0) return -1;
    if (!is_procfs(fd.get()) || s.st_ino != kProcRootIno) {
        errno = EXDEV;
        return -1;
    }
    return fd.release();
}

int open_in_procfs(int proc_fd, const char* rel, int flags) {
    char path[PATH_MAX];
    if (!expand_self(proc_fd, rel, path, sizeof path)) return -1;
    if (!openat2_disabled()) {
        struct open_how how {};
        how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
        how.resolve =
            RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS;
        int fd = sys::openat2(proc_fd, path, &how);
        if (fd >= 0 || errno != ENOSYS) return fd;
    }
    return walk_procfs(proc_fd, path, flags);
}

bool write_proc_file(const char* rel_path, const char* value) {
    char shown[PATH_MAX];
    std::snprintf(shown, sizeof shown, "/proc/%s", rel_path);
    UniqueFd root(open_procfs_root());
    if (!root) return child_fail(errno, "open verified procfs", "/proc");
    UniqueFd fd(open_in_procfs(root.get(), rel_path, O_WRONLY));
    if (!fd) return child_fail(errno, "open", shown);
    if (sys::write_all(fd.get(), value, std::strlen(value)) != 0)
        return child_fail(errno, "write", shown);
    return true;
}

} // namespace corral::ns
