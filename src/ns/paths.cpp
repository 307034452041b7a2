#include "ns/paths.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/syscalls.hpp"

namespace corral::ns {

namespace {

bool g_openat2_disabled = false;

constexpr int kMaxDepth = 256; // directories held open at once during a walk
constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS
constexpr int kOpenat2Retries = 32;
constexpr uint64_t kWalkResolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

enum class Create { none, dirs, file };

// The directories of the current position, root first. fds[0] is the
// caller's root and is never closed here.
struct FdStack {
    int fds[kMaxDepth];
    int depth = 0;
    explicit FdStack(int root) { fds[0] = root; }
    ~FdStack() { to_root(); }
    FdStack(const FdStack&) = delete;
    FdStack& operator=(const FdStack&) = delete;

    int top() const { return fds[depth]; }
    void pop() {
        if (depth > 0) ::close(fds[depth--]);
    }
    void to_root() {
        while (depth > 0)
            pop();
    }
    bool push(int fd) {
        if (depth + 1 >= kMaxDepth) {
            ::close(fd);
            errno = ENAMETOOLONG;
            return false;
        }
        fds[++depth] = fd;
        return true;
    }
    // Hands the top fd to the caller; the root is duplicated instead.
    int release_top() {
        if (depth == 0) return ::fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
        return fds[depth--];
    }
};

int fail(int err) {
    errno = err;
    return -1;
}

bool same_inode(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Creates `name` in dir_fd. EEXIST is fine: a racer (or a dangling symlink
// we are about to read) got there first, and the caller reopens O_NOFOLLOW.
bool create_entry(int dir_fd, const char* name, bool as_dir, mode_t mode) {
    if (as_dir) return ::mkdirat(dir_fd, name, mode) == 0 || errno == EEXIST;
    int fd = ::openat(dir_fd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
    if (fd >= 0) {
        ::close(fd);
        return true;
    }
    return errno == EEXIST;
}

int walk(int root_fd, const char* path, int flags, uint64_t resolve, Create create, mode_t mode) {
    if (resolve & ~kWalkResolve) return fail(EINVAL);
    if (flags & O_CREAT) return fail(EINVAL);
    char rem[PATH_MAX];
    char tmp[PATH_MAX];
    if (std::snprintf(rem, sizeof rem, "%s", path) >= static_cast<int>(sizeof rem))
        return fail(ENAMETOOLONG);

    FdStack st(root_fd);
    char last[NAME_MAX + 1] = "";
    struct stat top_st {};
    if (::fstat(root_fd, &top_st) != 0) return -1;
    int links = 0;
    const char* p = rem;
    for (;;) {
        while (*p == '/')
            ++p;
        if (*p == '\0') break;
        const char* end = std::strchr(p, '/');
        if (!end) end = p + std::strlen(p);
        size_t len = static_cast<size_t>(end - p);
        if (len > NAME_MAX) return fail(ENAMETOOLONG);
        char comp[NAME_MAX + 1];
        std::memcpy(comp, p, len);
        comp[len] = '\0';
        const char* rest = end; // "" or starts with '/'
        const char* after = rest;
        while (*after == '/')
            ++after;
        bool is_last = *after == '\0';
        bool trailing_slash = *rest != '\0';
        p = rest;

        if (std::strcmp(comp, ".") == 0) continue;
        if (std::strcmp(comp, "..") == 0) {
            // Back to the fd we came through: never a lookup of "..", which
            // could leave the root if a racer moved this directory out.
            st.pop();
            last[0] = '\0';
            if (::fstat(st.top(), &top_st) != 0) return -1;
            continue;
        }
        if (!S_ISDIR(top_st.st_mode)) return fail(ENOTDIR);

        int fd = ::openat(st.top(), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create != Create::none) {
            bool as_dir = !is_last || trailing_slash || create == Create::dirs;
            if (!create_entry(st.top(), comp, as_dir, as_dir ? mode : 0644)) return -1;
            fd = ::openat(st.top(), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) return -1;
        struct stat s {};
        if (::fstat(fd, &s) != 0) {
            int e = errno;
            ::close(fd);
            return fail(e);
        }
        bool follow = !is_last || trailing_slash || !(flags & O_NOFOLLOW);
        if (S_ISLNK(s.st_mode) && follow) {
            if ((resolve & RESOLVE_NO_SYMLINKS) || ++links > kMaxLinks) {
                ::close(fd);
                return fail(ELOOP);
            }
            char target[PATH_MAX];
            ssize_t n = ::readlinkat(fd, "", target, sizeof target);
            int e = errno;
            ::close(fd);
            if (n < 0) return fail(e);
            if (n == 0) return fail(ENOENT);
            if (static_cast<size_t>(n) >= sizeof target) return fail(ENAMETOOLONG);
            target[n] = '\0';
            // Splice: the target, then whatever followed the link. An
            // absolute target restarts from the root we were given, not
            // from the host's "/".
            int w = std::snprintf(tmp, sizeof tmp, "%s%s", target, rest);
            if (w < 0 || w >= static_cast<int>(sizeof tmp)) return fail(ENAMETOOLONG);
            std::memcpy(rem, tmp, static_cast<size_t>(w) + 1);
            p = rem;
            if (target[0] == '/') st.to_root();
            if (::fstat(st.top(), &top_st) != 0) return -1;
            continue;
        }
        if (!st.push(fd)) return -1;
        std::memcpy(last, comp, len + 1);
        top_st = s;
    }

    bool is_dir = S_ISDIR(top_st.st_mode);
    if ((flags & O_DIRECTORY) && !is_dir) return fail(ENOTDIR);
    if (flags & O_PATH) return st.release_top();
    if (S_ISLNK(top_st.st_mode)) return fail(ELOOP); // O_NOFOLLOW on a trailing link
    if (is_dir) return ::openat(st.top(), ".", flags | O_CLOEXEC);
    // A non-directory is reopened by name from its parent, with O_NOFOLLOW,
    // and must still be the inode the walk found.
    if (st.depth < 1 || last[0] == '\0') return fail(EINVAL);
    int fd = ::openat(st.fds[st.depth - 1], last, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat s {};
    if (::fstat(fd, &s) != 0 || !same_inode(s, top_st)) {
        ::close(fd);
        return fail(EAGAIN);
    }
    return fd;
}

} // namespace

void set_openat2_disabled(bool disabled) {
    g_openat2_disabled = disabled;
}
bool openat2_disabled() {
    return g_openat2_disabled;
}

const char* fd_path(char* buf, size_t size, int fd) {
    std::snprintf(buf, size, "/proc/self/fd/%d", fd);
    return buf;
}

int walk_in_root(int root_fd, const char* path, int flags, uint64_t extra_resolve) {
    return walk(root_fd, path, flags, extra_resolve | RESOLVE_NO_MAGICLINKS, Create::none, 0);
}

int open_in_root(int root_fd, const char* path, int flags, uint64_t extra_resolve) {
    if (flags & O_CREAT) return fail(EINVAL);
    if (!g_openat2_disabled) {
        struct open_how how {};
        how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve;
        // "" is not a path for openat2; the root itself is ".".
        const char* p = (path[0] == '\0') ? "." : path;
        for (int i = 0; i < kOpenat2Retries; ++i) {
            int fd = sys::openat2(root_fd, p, &how);
            if (fd >= 0) return fd;
            // EAGAIN: a rename or mount raced a ".." lookup; the kernel asks
            // us to retry rather than risk an escape.
            if (errno != EAGAIN) break;
        }
        if (errno != ENOSYS) return -1;
    }
    return walk_in_root(root_fd, path, flags, extra_resolve);
}

int mkdir_all_in_root(int root_fd, const char* path, mode_t mode, uint64_t extra_resolve) {
    int fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY, extra_resolve);
    if (fd >= 0 || errno != ENOENT) return fd;
    return walk(root_fd, path, O_PATH | O_DIRECTORY, extra_resolve | RESOLVE_NO_MAGICLINKS,
                Create::dirs, mode);
}

int create_mountpoint(int root_fd, const char* path, bool is_dir, uint64_t extra_resolve) {
    if (is_dir) return mkdir_all_in_root(root_fd, path, 0755, extra_resolve);
    int fd = open_in_root(root_fd, path, O_PATH, extra_resolve);
    if (fd < 0 && errno == ENOENT)
        fd = walk(root_fd, path, O_PATH, extra_resolve | RESOLVE_NO_MAGICLINKS, Create::file, 0755);
    if (fd < 0) return -1;
    struct stat s {};
    if (::fstat(fd, &s) != 0 || S_ISDIR(s.st_mode)) {
        int e = S_ISDIR(s.st_mode) ? EISDIR : errno;
        ::close(fd);
        return fail(e);
    }
    return fd;
}

} // namespace corral::ns
