#include "common/files.hpp"

#include <cstdio>
#include <ctime>
#include <fcntl.h>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral {

Result<std::string> read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open", path);
    std::string text;
    char buf[16384];
    for (;;) {
        ssize_t n = sys::read_retry(fd.get(), buf, sizeof buf);
        if (n < 0) return sys_error("read", path);
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    return text;
}

std::string rfc3339_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}

} // namespace corral
