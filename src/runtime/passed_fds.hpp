// File descriptors the caller passes into the container: --preserve-fds N
// and systemd socket activation (LISTEN_FDS), both starting at fd 3.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "common/result.hpp"

namespace corral::runtime {

// sd_listen_fds(3): the number of activated fds when LISTEN_PID names `self`
// and LISTEN_FDS is a count; 0 otherwise (unset, another pid, malformed).
int listen_fds_for(pid_t self, const char* listen_pid, const char* listen_fds);

// The activated fds come first, then --preserve-fds: fds 3..3+listen+preserve-1.
// Each must be open, or the container would inherit whatever corral itself
// opened at that number. With listen > 0 the process env gets LISTEN_FDS=n
// and LISTEN_PID=1, as runc does (2 when corral's init runs the command).
struct PassedFds {
    int total = 0;
    int listen = 0;
};
Result<PassedFds> collect_passed_fds(int preserve_fds);
// `pid` is the command's pid in the container: 1, or 2 under corral's init.
void add_listen_env(std::vector<std::string>& env, int listen, int pid = 1);

// Sets KEY=VALUE in env, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& key_value);

} // namespace corral::runtime
