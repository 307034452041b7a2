// The container's terminal. The pty is made by the container side, inside the
// container's own devpts instance (so its number and permissions belong to the
// container, never to the host's /dev/pts), and the master travels to corral
// over the sync socket; corral then either hands it to the caller's console
// socket or relays it to its own terminal (runtime/tty_relay.hpp).
#pragma once

#include <string>
#include <sys/types.h>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

struct ConsolePlan {
    bool enabled = false;
    unsigned short rows = 0, cols = 0; // process.consoleSize; 0 leaves the kernel's
    bool bind_dev_console = false;     // the init's /dev/console; exec leaves it alone
};

ConsolePlan console_plan(const spec::Process& p, bool bind_dev_console);

// The path the master is opened by, also the name sent with it (runc sends
// its master's file name the same way).
inline constexpr const char* kPtmxPath = "/dev/pts/ptmx";

// Child side, after the container's root is in place and as the container's
// root user: opens the pty, applies the size, gives the slave to `owner`
// (the process's uid, so a non-root process controls its terminal), binds
// /dev/console when asked, sends the master as a ConsoleFd frame, then makes
// the slave the controlling terminal and stdin/stdout/stderr. The caller must
// already be a session leader. Returns false after child_fail().
bool setup_console(const ConsolePlan& plan, uid_t owner, int sync_fd);

// Parent side: runc's rules for a terminal and a console socket, checked
// before anything is made. `detached` is true for create and run -d.
Status check_console_request(bool terminal, bool detached, const std::string& console_socket);

// Parent side: our terminal's size (stdin's, else stdout's) onto the pty,
// done as soon as the master arrives so the process starts with it.
void copy_window_size(int master);

// Parent side, once the master arrived: with a console socket (>= 0) it is
// sent there in one sendmsg, payload its name, and closed here; without one
// it stays in `master` for the foreground relay, sized like our terminal.
Status deliver_console_master(UniqueFd& master, int console_sock);

} // namespace corral::runtime
