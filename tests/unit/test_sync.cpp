#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/sync.hpp"

using namespace corral::runtime;

namespace {
struct Pair {
    int a = -1, b = -1;
    Pair() {
        int sv[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        a = sv[0];
        b = sv[1];
    }
    ~Pair() {
        if (a >= 0) close(a);
        if (b >= 0) close(b);
    }
};
Frame frame;
} // namespace

TEST_CASE("sync: frames round-trip with payload and errno") {
    Pair p;
    const char msg[] = "{\"id\":\"x\"}";
    REQUIRE(send_frame(p.a, Msg::RuntimeHooksDone, 0, msg, sizeof msg - 1) == 0);
    REQUIRE(recv_frame(p.b, &frame) == 0);
    CHECK(frame.type == Msg::RuntimeHooksDone);
    CHECK(frame.length == sizeof msg - 1);
    CHECK(std::string(frame.payload) == msg);

    REQUIRE(send_frame(p.a, Msg::Ready, 0, nullptr, 0) == 0);
    REQUIRE(recv_frame(p.b, &frame) == 0);
    CHECK(frame.type == Msg::Ready);
    CHECK(frame.length == 0);
}

TEST_CASE("sync: error frames carry errno, op and detail") {
    Pair p;
    REQUIRE(send_error(p.a, ENOENT, "mount proc", "/proc") == 0);
    REQUIRE(recv_frame(p.b, &frame) == 0);
    CHECK(frame.type == Msg::Error);
    CHECK(frame.err == ENOENT);
    const char *op, *detail;
    split_error(frame, &op, &detail);
    CHECK(std::string(op) == "mount proc");
    CHECK(std::string(detail) == "/proc");
}

TEST_CASE("sync: expect_frame rejects a message out of order") {
    Pair p;
    REQUIRE(send_frame(p.a, Msg::Ready, 0, nullptr, 0) == 0);
    CHECK(expect_frame(p.b, Msg::RuntimeHooks, &frame) == -1);
    CHECK(errno == EPROTO);
}

TEST_CASE("sync: EOF from the peer is ECONNRESET") {
    Pair p;
    close(p.a);
    p.a = -1;
    CHECK(recv_frame(p.b, &frame) == -1);
    CHECK(errno == ECONNRESET);
}

TEST_CASE("sync: decode rejects bad lengths, types and short headers") {
    char buf[64] = {};
    FrameHeader h{static_cast<uint32_t>(Msg::Ready), 0, 4};
    std::memcpy(buf, &h, sizeof h);
    CHECK(decode_frame(buf, sizeof h + 4, &frame) == 0);
    CHECK(decode_frame(buf, sizeof h + 3, &frame) == EPROTO); // length disagrees
    CHECK(decode_frame(buf, sizeof h + 5, &frame) == EPROTO);
    CHECK(decode_frame(buf, 3, &frame) == EPROTO); // short header
    h.type = 0;
    std::memcpy(buf, &h, sizeof h);
    CHECK(decode_frame(buf, sizeof h + 4, &frame) == EPROTO);
    h.type = 99;
    std::memcpy(buf, &h, sizeof h);
    CHECK(decode_frame(buf, sizeof h + 4, &frame) == EPROTO);
    h.type = static_cast<uint32_t>(Msg::Ready);
    h.length = static_cast<uint32_t>(kMaxPayload + 1);
    std::memcpy(buf, &h, sizeof h);
    CHECK(decode_frame(buf, sizeof buf, &frame) == EMSGSIZE);
}

TEST_CASE("sync: oversized send is refused, oversized datagram is rejected") {
    Pair p;
    static char big[kMaxPayload + 100];
    CHECK(send_frame(p.a, Msg::Ready, 0, big, sizeof big) == -1);
    CHECK(errno == EMSGSIZE);
    // A raw datagram larger than any legal frame must not be truncated into one.
    REQUIRE(send(p.a, big, sizeof big, 0) == static_cast<ssize_t>(sizeof big));
    CHECK(recv_frame(p.b, &frame) == -1);
    CHECK(errno == EMSGSIZE);
}

TEST_CASE("sync: an fd travels with SCM_RIGHTS, and is closed when nobody asks for it") {
    Pair p;
    int pipefd[2];
    REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0);
    REQUIRE(send_frame_fd(p.a, Msg::SeccompFd, pipefd[1]) == 0);
    int got = -1;
    REQUIRE(recv_frame_fd(p.b, &frame, &got) == 0);
    CHECK(frame.type == Msg::SeccompFd);
    REQUIRE(got >= 0);
    CHECK(write(got, "x", 1) == 1); // the same pipe: readable on our end
    char c = 0;
    CHECK(read(pipefd[0], &c, 1) == 1);
    CHECK(c == 'x');
    close(got);
    // A caller that does not take the fd must not leak it.
    REQUIRE(send_frame_fd(p.a, Msg::SeccompFd, pipefd[1]) == 0);
    close(pipefd[1]);
    REQUIRE(recv_frame(p.b, &frame) == 0);
    char buf[1];
    CHECK(read(pipefd[0], buf, 1) == 0); // EOF: no write end left open anywhere
    close(pipefd[0]);
}
