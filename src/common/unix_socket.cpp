#include "common/unix_socket.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/syscalls.hpp"

namespace corral {

Result<UniqueFd> connect_unix(const std::string& path, const std::string& what) {
    if (path.empty()) return plain_error(what + ":", "empty path");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string target = path;
    UniqueFd dir;
    if (path.size() >= sizeof addr.sun_path) {
        size_t slash = path.rfind('/');
        std::string parent = slash == std::string::npos ? "." : path.substr(0, slash ? slash : 1);
        dir.reset(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir) return sys_error("open " + what + " directory", parent);
        target = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + path.substr(slash + 1);
        if (target.size() >= sizeof addr.sun_path)
            return plain_error(what + " " + path + ":", "name too long");
    }
    std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return sys_error("socket", what);
    for (;;) {
        if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        if (errno != EINTR) return sys_error("connect to " + what, path);
    }
    return sock;
}

Status send_fd_message(int sock, const std::string& payload, int fd, const std::string& what) {
    ssize_t n = sys::send_with_fd(sock, payload.data(), payload.size(), fd);
    if (n < 0) return sys_error("send to " + what);
    if (static_cast<size_t>(n) != payload.size())
        return plain_error("send to " + what + ":", "short write");
    return {};
}

} // namespace corral
