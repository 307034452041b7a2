#include "runtime/passed_fds.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace corral::runtime {

namespace {

bool parse_positive(const char* s, long max, long* out) {
    if (!s || !*s) return false;
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > max) return false;
    *out = v;
    return true;
}

} // namespace

int listen_fds_for(pid_t self, const char* listen_pid, const char* listen_fds) {
    long pid = 0, n = 0;
    if (!parse_positive(listen_pid, INT_MAX, &pid) || pid != self) return 0;
    if (!parse_positive(listen_fds, 1 << 20, &n)) return 0;
    return static_cast<int>(n);
}

Result<PassedFds> collect_passed_fds(int preserve_fds) {
    PassedFds p;
    p.listen = listen_fds_for(getpid(), std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"));
    p.total = p.listen + preserve_fds;
    for (int fd = 3; fd < 3 + p.total; ++fd) {
        if (fcntl(fd, F_GETFD) >= 0) continue;
        std::string why = fd < 3 + p.listen ? "LISTEN_FDS=" + std::to_string(p.listen)
                                            : "--preserve-fds " + std::to_string(preserve_fds);
        return Error{EBADF, why + ":", "fd " + std::to_string(fd) + " is not open"};
    }
    return p;
}

void add_listen_env(std::vector<std::string>& env, int listen, int pid) {
    if (listen <= 0) return;
    set_env(env, "LISTEN_FDS=" + std::to_string(listen));
    set_env(env, "LISTEN_PID=" + std::to_string(pid));
}

void set_env(std::vector<std::string>& env, const std::string& key_value) {
    size_t eq = key_value.find('=');
    std::string key = key_value.substr(0, eq == std::string::npos ? key_value.size() : eq + 1);
    for (auto& e : env)
        if (e.compare(0, key.size(), key) == 0 &&
            (eq != std::string::npos || e.size() == key.size() || e[key.size()] == '=')) {
            e = key_value;
            return;
        }
    env.push_back(key_value);
}

} // namespace corral::runtime
