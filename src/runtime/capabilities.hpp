// Capability sets as 64-bit masks, computed in the parent from names and
// applied in the child with raw capset/prctl (no allocation after clone).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

struct CapSets {
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
    // Ambient caps asked for but not permitted and inheritable: the kernel
    // cannot raise them; runc skips them too (its own `spec` asks for such).
    uint64_t dropped_ambient = 0;
};

// Highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
int cap_last_cap();

// "CAP_SYS_ADMIN" → bit. Unknown names are an error naming the JSON field;
// names this kernel lacks are skipped and reported in `skipped`.
Result<CapSets> plan_capabilities(const spec::Capabilities& caps,
                                  std::vector<std::string>* skipped);

// Child side: drop the bounding set to plan.bounding (needs CAP_SETPCAP, so
// before the uid change).
bool drop_bounding_set(const CapSets& caps);
// Child side, after setresuid with keepcaps: set eff/perm/inh and ambient.
bool apply_capability_sets(const CapSets& caps);
// Child side, when the config has no capabilities object: the other sets
// stay as they are, but inheritable and ambient never pass from the caller
// into the container (CVE-2022-29162).
bool clear_inherited_capabilities();

} // namespace corral::runtime
