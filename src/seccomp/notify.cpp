#include "seccomp/notify.hpp"

#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

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
    iovec iov{const_cast<char*>(payload.data()), payload.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &listener_fd, sizeof(int));
    ssize_t n;
    do {
        n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("send to seccomp listener", listener_path);
    if (static_cast<size_t>(n) != payload.size())
        return plain_error("send to seccomp listener " + listener_path + ":", "short write");
    return {};
}

} // namespace corral::seccomp
