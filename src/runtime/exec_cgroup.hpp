// `exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH`: runc's way of putting the
// exec'd process in an existing group below the container's. Pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace corral::runtime {

// The container's groups (by hierarchy: "unified", "memory", "cpu,cpuacct",
// ...) with the requested sub-groups appended: a PATH with controllers goes
// to the hierarchies holding them, a bare PATH to every hierarchy, the
// controller's own entry winning. PATH is relative to the container's group
// (a leading '/' is dropped, as runc does) and may not leave it. Refused
// when the container has no groups or no hierarchy holds a controller.
Result<std::map<std::string, std::string>>
exec_cgroup_paths(const std::map<std::string, std::string>& container,
                  const std::vector<std::string>& requests);

} // namespace corral::runtime
