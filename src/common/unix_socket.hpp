// AF_UNIX stream clients for the sockets callers hand us: the console socket,
// the pidfd socket and the seccomp listener. One message per connection, the
// fd carried with SCM_RIGHTS, as runc's callers expect.
#pragma once

#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace corral {

// Connects to the socket at `path`; `what` names it in errors ("console
// socket"). A path longer than sun_path is reached through its directory's
// fd, so deep runtime directories still work.
Result<UniqueFd> connect_unix(const std::string& path, const std::string& what);

// One sendmsg of `payload` carrying `fd`.
Status send_fd_message(int sock, const std::string& payload, int fd, const std::string& what);

} // namespace corral
