#include "runtime/sync.hpp"

#include "common/syscalls.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace corral::runtime {

const char* msg_name(Msg m) {
    switch (m) {
    case Msg::InitPid:
        return "init-pid";
    case Msg::InitPidAck:
        return "init-pid-ack";
    case Msg::IdMapRequest:
        return "idmap-request";
    case Msg::IdMapDone:
        return "idmap-done";
    case Msg::RuntimeHooks:
        return "runtime-hooks";
    case Msg::RuntimeHooksDone:
        return "runtime-hooks-done";
    case Msg::Ready:
        return "ready";
    case Msg::Error:
        return "error";
    case Msg::SeccompFd:
        return "seccomp-fd";
    case Msg::CgroupsPlaced:
        return "cgroups-placed";
    case Msg::ConsoleFd:
        return "console-fd";
    case Msg::MountSourceFd:
        return "mount-source-fd";
    }
    return "unknown";
}

int decode_frame(const void* buf, size_t n, Frame* out) {
    FrameHeader h;
    if (n < sizeof h) return EPROTO;
    std::memcpy(&h, buf, sizeof h);
    if (h.type < static_cast<uint32_t>(Msg::InitPid) || h.type > static_cast<uint32_t>(kLastMsg))
        return EPROTO;
    if (h.length > kMaxPayload) return EMSGSIZE;
    if (n != sizeof h + h.length) return EPROTO;
    out->type = static_cast<Msg>(h.type);
    out->err = h.err;
    out->length = h.length;
    std::memcpy(out->payload, static_cast<const char*>(buf) + sizeof h, h.length);
    out->payload[h.length] = '\0';
    return 0;
}

int send_frame(int fd, Msg type, int32_t err, const void* payload, uint32_t length) {
    if (length > kMaxPayload) {
        errno = EMSGSIZE;
        return -1;
    }
    FrameHeader h{static_cast<uint32_t>(type), err, length};
    iovec iov[2] = {{&h, sizeof h}, {const_cast<void*>(payload), length}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = length ? 2 : 1;
    for (;;) {
        ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (r >= 0) return 0;
        if (errno != EINTR) return -1;
    }
}

int recv_frame(int fd, Frame* out) {
    return recv_frame_fd(fd, out, nullptr);
}

int send_frame_fd(int fd, Msg type, int passed_fd) {
    FrameHeader h{static_cast<uint32_t>(type), 0, 0};
    return sys::send_with_fd(fd, &h, sizeof h, passed_fd) < 0 ? -1 : 0;
}

int recv_frame_fd(int fd, Frame* out, int* passed_fd) {
    // One spare byte detects a datagram longer than any legal frame (MSG_TRUNC
    // reports the real size), so truncation can never pass as a valid frame.
    static char buf[sizeof(FrameHeader) + kMaxPayload + 1];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (passed_fd) *passed_fd = -1;
    ssize_t n;
    do {
        n = recvmsg(fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    // An fd that came with the datagram is ours to close whatever follows.
    int got = -1;
    for (cmsghdr* c = n >= 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            std::memcpy(&got, CMSG_DATA(c), sizeof(int));
    if (got >= 0) {
        if (passed_fd)
            *passed_fd = got;
        else
            close(got);
    }
    if (n < 0) return -1;
    if (n == 0) {
        errno = ECONNRESET;
        return -1;
    }
    if (static_cast<size_t>(n) > sizeof buf) {
        errno = EMSGSIZE;
        return -1;
    }
    int e = decode_frame(buf, static_cast<size_t>(n), out);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}

int expect_frame(int fd, Msg type, Frame* out) {
    if (recv_frame(fd, out) < 0) return -1;
    if (out->type != type) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int send_error(int fd, int err, const char* op, const char* detail) {
    char buf[1024];
    size_t a = strnlen(op ? op : "", 400);
    size_t b = strnlen(detail ? detail : "", 500);
    std::memcpy(buf, op ? op : "", a);
    buf[a] = '\0';
    std::memcpy(buf + a + 1, detail ? detail : "", b);
    return send_frame(fd, Msg::Error, err, buf, static_cast<uint32_t>(a + 1 + b));
}

void split_error(const Frame& f, const char** op, const char** detail) {
    *op = f.payload;
    size_t a = strnlen(f.payload, f.length);
    *detail = a < f.length ? f.payload + a + 1 : "";
}

} // namespace corral::runtime
