#include "runtime/sibling.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/sched.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "runtime/sync.hpp"

namespace corral::runtime {

namespace {
Frame g_ack;
}

pid_t clone_sibling(int sync_fd, sys::Clone3Args& args) {
    // The kernel requires exit_signal 0 with CLONE_PARENT (the parent's is inherited).
    args.flags |= CLONE_PARENT;
    args.exit_signal = 0;
    // The sibling shares our end of the sync socket: it must not speak before
    // corral has its pid, so it waits on this gate until the ack came.
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) return child_fail(errno, "pipe"), -1;
    pid_t pid = sys::clone3_fork(args, nullptr);
    if (pid < 0) {
        child_fail(errno, "clone container process");
        ::close(gate[0]);
        ::close(gate[1]);
        return -1;
    }
    if (pid == 0) {
        ::close(gate[1]);
        char go = 0;
        if (sys::read_retry(gate[0], &go, 1) != 1) _exit(1); // the caller died
        ::close(gate[0]);
        return 0;
    }
    ::close(gate[0]);
    int32_t p = pid;
    if (send_frame(sync_fd, Msg::InitPid, 0, &p, sizeof p) < 0) _exit(1);
    if (expect_frame(sync_fd, Msg::InitPidAck, &g_ack) < 0) _exit(1);
    if (sys::write_all(gate[1], "1", 1) < 0) _exit(1);
    _exit(0);
}

} // namespace corral::runtime
