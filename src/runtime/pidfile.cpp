#include "runtime/pidfile.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::runtime {

namespace {

// A name nobody else is likely to pick; O_EXCL settles the rare collision.
std::string temp_name(const std::string& dir, const std::string& base) {
    static std::atomic<unsigned> counter{0};
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd) rnd = 0;
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".tmp-%d-%u-%08x", static_cast<int>(getpid()),
                  counter.fetch_add(1), rnd);
    return dir + "/." + base + suffix;
}

} // namespace

Status write_pid_file(const std::string& path, pid_t pid) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : path.substr(0, slash);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty() || base == "." || base == "..")
        return plain_error("invalid pid file path", path);

    std::string tmp;
    UniqueFd fd;
    for (int attempt = 0; attempt < 16 && !fd; ++attempt) {
        tmp = temp_name(dir, base);
        fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd && errno != EEXIST) return sys_error("create pid file", tmp);
    }
    if (!fd) return sys_error("create pid file", tmp);

    // From here on every failure must take the temp file away with it.
    auto fail = [&](const char* op, const std::string& detail) -> Status {
        Error e = sys_error(op, detail);
        ::unlink(tmp.c_str());
        return e;
    };
    char buf[24];
    const int len = std::snprintf(buf, sizeof buf, "%d", static_cast<int>(pid));
    if (sys::write_all(fd.get(), buf, static_cast<size_t>(len)) < 0)
        return fail("write pid file", tmp);
    // close() can report a deferred write error on network filesystems.
    if (::close(fd.release()) < 0) return fail("close pid file", tmp);
    // No fsync of the file or its directory: the pid names a process, which
    // a power loss ends too; rename alone gives readers a whole file.
    if (::rename(tmp.c_str(), path.c_str()) < 0) return fail("rename pid file", path);
    return {};
}

} // namespace corral::runtime
