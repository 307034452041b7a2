// What the backends share and how make_manager reaches them; not for the
// runtime, which sees only manager.hpp.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"

namespace corral::cgroups {

// The unified backend: a new group (mount + group) or an existing one.
std::unique_ptr<Manager> make_unified(std::string mount, std::string group, spec::Resources res);
std::unique_ptr<Manager> open_unified(std::string dir);

// The v1 backend (legacy and hybrid hosts): groups keyed by hierarchy,
// "unified" for the cgroup2 group of a hybrid host.
std::unique_ptr<Manager> make_v1(const Layout& layout, std::map<std::string, std::string> groups,
                                 spec::Resources res);
std::unique_ptr<Manager> open_v1(const std::map<std::string, std::string>& dirs);

// The hybrid/unified cgroup2 mount that dir lies under, or "".
std::string mount_of(const std::string& dir);

// Signals every process with the group frozen, so none forks past us.
Status kill_frozen(Manager& m, int sig);

} // namespace corral::cgroups
