// The config.json that `corral spec` writes: runc's template with corral's
// defaults from SECURITY.md.
#pragma once

#include <string>

namespace corral::spec {

// Pretty-printed (2-space) config.json text, ending in a newline. With
// rootless set, the config maps the caller's uid/gid to root in a new user
// namespace and leaves out what an unprivileged user cannot do (see
// defaults.cpp).
std::string default_config_json(bool rootless);

} // namespace corral::spec
