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
    // Not strftime: glibc's calls tzset, which reads /etc/localtime on every
    // create although the time is UTC.
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
    return buf;
}

} // namespace corral
