#include "seccomp/notify.hpp"

#include <nlohmann/json.hpp>

#include "common/unix_socket.hpp"

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
    auto sock = connect_unix(listener_path, "seccomp listener");
    if (!sock) return sock.error();
    return send_fd_message(sock->get(), payload, listener_fd, "seccomp listener " + listener_path);
}

} // namespace corral::seccomp
