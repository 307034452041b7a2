#include "seccomp/notify.hpp"

#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::seccomp {

std::string listener_state_json(pid_t pid, const std::string& metadata,
                                const std::string& oci_state_json) {
    nlohmann::json j = {{"ociVersion", "1.2.0"},
                        {"fds", {"seccompFd"}},
                        {"pid", pid},
                        {"metadata", metadata},
                        {"state", nlohmann::json::parse(oci_state_json)}};
    return j.dump();
}

Status send_listener_fd(const std::string& listener_path, const std::string& payload,
                        int listener_fd) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (listener_path.size() >= sizeof addr.sun_path)
        return plain_error("linux.seccomp.listenerPath:", "path too long");
    std::memcpy(addr.sun_path, listener_path.c_str(), listener_path.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return sys_error("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return sys_error("connect to seccomp listener", listener_path);
    ssize_t n = sys::send_with_fd(sock.get(), payload.data(), payload.size(), listener_fd);
    if (n < 0) return sys_error("send to seccomp listener", listener_path);
    if (static_cast<size_t>(n) != payload.size())
        return plain_error("send to seccomp listener " + listener_path + ":", "short write");
    return {};
}

} // namespace corral::seccomp
