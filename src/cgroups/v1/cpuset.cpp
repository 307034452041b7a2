// The v1 cpuset controller.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v1 {

namespace {

std::string trimmed(const std::string& s) {
    const char* space = " \t\n";
    auto first = s.find_first_not_of(space);
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

Status inherit(int parent_dir, int dir, const char* name) {
    auto mine = read_file(dir, name);
    if (!mine) return mine.error();
    if (!trimmed(*mine).empty()) return {};
    auto parent = read_file(parent_dir, name);
    if (!parent) return parent.error().context("parent group");
    std::string value = trimmed(*parent);
    // An empty parent has nothing to give, and writing "" would leave this
    // group unable to take any task: say where the chain broke.
    if (value.empty())
        return plain_error("inherit cpuset:",
                           std::string("the parent group's ") + name + " is empty too");
    return write_file(dir, name, value);
}

} // namespace

Status apply_cpuset(int dir, const spec::Cpu& c) {
    // cpuset.cpus and cpuset.mems mean the same in both versions.
    return v2::apply_cpuset(dir, c);
}

Status inherit_cpuset(int parent_dir, int dir) {
    CORRAL_TRY(inherit(parent_dir, dir, "cpuset.cpus"));
    return inherit(parent_dir, dir, "cpuset.mems");
}

} // namespace corral::cgroups::v1
