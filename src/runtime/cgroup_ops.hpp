// The verbs that work on a live container's cgroup: pause, resume, update,
// ps and events.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "cgroups/stats.hpp"
#include "common/result.hpp"
#include "runtime/state.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

Status pause_container(const StateStore& store, const std::string& id);
Status resume_container(const StateStore& store, const std::string& id);
Status update_container(const StateStore& store, const std::string& id, const spec::Resources& r);
Result<std::vector<pid_t>> container_pids(const StateStore& store, const std::string& id);

// One JSON line per event, in runc's shape: {"type":"stats","id":...,
// "data":{cpu,memory,pids,blkio,hugetlb}} and {"type":"oom","id":...}.
std::string stats_event_json(const std::string& id, const cgroups::Stats& s);
std::string oom_event_json(const std::string& id);

// `events`: with once, emits one stats event; otherwise emits stats every
// interval_ms and an oom event as soon as one is recorded, until the
// container stops.
Status watch_events(const StateStore& store, const std::string& id, bool once, int interval_ms,
                    const std::function<void(const std::string&)>& emit);

} // namespace corral::runtime
