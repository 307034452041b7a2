// The parent/child sync protocol over a SOCK_SEQPACKET socketpair.
//
//   corral (parent)                          container side
//   ---------------                          --------------
//   [only when an intermediate process joins a pid/time namespace]
//          <── InitPid{pid}                  intermediate: host pid of the init
//          ──> InitPidAck
//   [only with a new cgroup namespace and v1 hierarchies to join]
//          ──> CgroupsPlaced                 init unshares its cgroup namespace
//   [only with a new user namespace]
//          <── IdMapRequest                  init waits before anything needing ids
//          ──> IdMapDone                     uid_map/gid_map written
//          ──> MountSourceFd + fd, per bind   root corral only: sources opened in the
//                                            init's mount namespace (ns/bind_sources.hpp)
//          <── RuntimeHooks                  mounts prepared, before pivot_root
//          ──> RuntimeHooksDone{state json}  prestart + createRuntime ran
//   [only with process.terminal]
//          <── ConsoleFd + fd (SCM_RIGHTS)   the pty master, made in the container's devpts
//   [only with SCMP_ACT_NOTIFY rules]
//          <── SeccompFd + fd (SCM_RIGHTS)   the notify listener, for listenerPath
//          <── Ready                         init waits on the exec fifo
//   at any point before Ready:
//          <── Error{errno, op\0detail}      the sender then _exits
//
// exec uses the same frames (runtime/exec.cpp): InitPid/InitPidAck when a pid
// or time namespace is joined, ConsoleFd, SeccompFd, Ready; then CgroupsPlaced
// releases the process to execve, and EOF on the socket (it is close-on-exec)
// tells the parent the execve happened; an Error frame says it failed.
//
// One frame per datagram: a fixed header {type, errno, length} then `length`
// payload bytes. The receiver rejects a datagram whose size disagrees with the
// header, an unknown type, or a message out of order (CVE-2021-43784 was a
// length confusion in exactly this kind of channel).
#pragma once

#include <cstddef>
#include <cstdint>

namespace corral::runtime {

enum class Msg : uint32_t {
    InitPid = 1,
    InitPidAck,
    IdMapRequest,
    IdMapDone,
    RuntimeHooks,
    RuntimeHooksDone,
    Ready,
    Error,
    SeccompFd,
    CgroupsPlaced,
    ConsoleFd,
    MountSourceFd,
};
// The highest message type; decode_frame and the fuzz oracle bound types by it.
inline constexpr Msg kLastMsg = Msg::MountSourceFd;

const char* msg_name(Msg m);

struct FrameHeader {
    uint32_t type;
    int32_t err;
    uint32_t length;
};

inline constexpr size_t kMaxPayload = 60 * 1024;

struct Frame {
    Msg type{};
    int32_t err = 0;
    uint32_t length = 0;
    char payload[kMaxPayload + 1]; // always NUL-terminated after decode
};

// Pure decoding of one received datagram, used by recv_frame and the fuzzer.
// Returns 0, or an errno: EPROTO (bad header/length/type), EMSGSIZE.
int decode_frame(const void* buf, size_t n, Frame* out);

// Both are child-safe (no allocation, MSG_NOSIGNAL). send returns 0 or -1
// with errno. recv returns 0, or -1 with errno; ECONNRESET means the peer
// closed the socket (EOF) before sending anything.
int send_frame(int fd, Msg type, int32_t err, const void* payload, uint32_t length);
int recv_frame(int fd, Frame* out);
// The same, also taking one fd passed with SCM_RIGHTS (-1 when none came).
int recv_frame_fd(int fd, Frame* out, int* passed_fd);
// Sends an empty frame of `type` carrying `passed_fd` with SCM_RIGHTS.
int send_frame_fd(int fd, Msg type, int passed_fd);
// Receives and requires a given type; an Error frame or another type gives
// -1 with errno EPROTO (Error frames leave the frame filled for the caller).
int expect_frame(int fd, Msg type, Frame* out);

// Error payload: "op\0detail" (both NUL-free, bounded).
int send_error(int fd, int err, const char* op, const char* detail);
// Splits an Error frame's payload; pointers into the frame.
void split_error(const Frame& f, const char** op, const char** detail);

} // namespace corral::runtime
