#include "runtime/cgroup_ops.hpp"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cgroups/files.hpp"
#include "cgroups/manager.hpp"

namespace corral::runtime {

namespace {

using nlohmann::json;

struct Live {
    ContainerDir dir;
    ContainerState st;
    ContainerStatus status;
    std::unique_ptr<cgroups::Manager> cg;
};

// The container locked, loaded, and checked to be in one of the states the
// verb accepts and to have a cgroup.
Result<Live> open_live(const StateStore& store, const std::string& id, const char* verb,
                       std::initializer_list<ContainerStatus> accepted) {
    auto dir = store.open(id);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    ContainerStatus status = derive_status(*st, dir->path());
    bool ok = false;
    for (auto s : accepted)
        ok = ok || s == status;
    if (!ok)
        return plain_error(std::string("cannot ") + verb + " container " + id + ":",
                           std::string("it is ") + status_name(status));
    if (st->cgroup_paths.empty())
        return plain_error(std::string("cannot ") + verb + " container " + id + ":",
                           "it has no cgroup (created with --cgroup-manager=disabled)");
    auto cg = cgroups::open_existing(st->cgroup_paths);
    return Live{std::move(*dir), std::move(*st), status, std::move(cg)};
}

uint64_t limit_value(uint64_t v) {
    return v == cgroups::kMax ? 0 : v;
}

json memory_entry(const cgroups::MemoryEntry& e) {
    json j = {{"limit", e.limit}, {"failcnt", e.failcnt}};
    if (e.usage) j["usage"] = e.usage;
    if (e.max) j["max"] = e.max;
    return j;
}

json blkio_entries(const std::vector<cgroups::BlkioEntry>& list) {
    json arr = json::array();
    for (const auto& e : list)
        arr.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
    return arr;
}

} // namespace

Status pause_container(const StateStore& store, const std::string& id) {
    auto live = open_live(store, id, "pause", {ContainerStatus::Running, ContainerStatus::Created});
    if (!live) return live.error();
    return live->cg->freeze();
}

Status resume_container(const StateStore& store, const std::string& id) {
    auto live = open_live(store, id, "resume", {ContainerStatus::Paused});
    if (!live) return live.error();
    return live->cg->thaw();
}

Status update_container(const StateStore& store, const std::string& id, const spec::Resources& r) {
    auto live =
        open_live(store, id, "update",
                  {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Paused});
    if (!live) return live.error();
    return live->cg->update(r);
}

Result<std::vector<pid_t>> container_pids(const StateStore& store, const std::string& id) {
    auto live =
        open_live(store, id, "list processes of",
                  {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Paused});
    if (!live) return live.error();
    return live->cg->pids();
}

std::string stats_event_json(const std::string& id, const cgroups::Stats& s) {
    json cpu = {{"usage", {{"total", s.cpu.total}, {"kernel", s.cpu.kernel}, {"user", s.cpu.user}}},
                {"throttling",
                 {{"periods", s.cpu.periods},
                  {"throttledPeriods", s.cpu.throttled_periods},
                  {"throttledTime", s.cpu.throttled_time}}}};
    if (!s.cpu.percpu.empty()) cpu["usage"]["percpu"] = s.cpu.percpu;
    if (!s.cpu.percpu_kernel.empty()) cpu["usage"]["percpu_kernel"] = s.cpu.percpu_kernel;
    if (!s.cpu.percpu_user.empty()) cpu["usage"]["percpu_user"] = s.cpu.percpu_user;
    json memory = {{"cache", s.memory.cache},
                   {"usage", memory_entry(s.memory.usage)},
                   {"swap", memory_entry(s.memory.swap)},
                   {"kernel", memory_entry(s.memory.kernel)},
                   {"kernelTCP", memory_entry(s.memory.kernel_tcp)},
                   {"raw", s.memory.raw}};
    json hugetlb = json::object();
    for (const auto& [size, h] : s.hugetlb)
        hugetlb[size] = {{"usage", h.usage}, {"max", h.max}, {"failcnt", h.failcnt}};
    json data = {{"cpu", cpu},
                 {"memory", memory},
                 {"pids", {{"current", s.pids.current}, {"limit", limit_value(s.pids.limit)}}},
                 {"blkio",
                  {{"ioServiceBytesRecursive", blkio_entries(s.blkio.io_service_bytes_recursive)},
                   {"ioServicedRecursive", blkio_entries(s.blkio.io_serviced_recursive)}}},
                 {"hugetlb", hugetlb}};
    return json{{"type", "stats"}, {"id", id}, {"data", data}}.dump();
}

std::string oom_event_json(const std::string& id) {
    return json{{"type", "oom"}, {"id", id}}.dump();
}

Status watch_events(const StateStore& store, const std::string& id, bool once, int interval_ms,
                    const std::function<void(const std::string&)>& emit) {
    std::unique_ptr<cgroups::Manager> cg;
    {
        // The lock is held only to read the state; the watch runs unlocked
        // so delete and kill stay possible meanwhile.
        auto live = open_live(
            store, id, "watch events of",
            {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Paused});
        if (!live) return live.error();
        cg = std::move(live->cg);
    }
    auto stats = [&]() -> Status {
        auto s = cg->stats();
        if (!s) return s.error();
        emit(stats_event_json(id, *s));
        return {};
    };
    if (once) return stats();
    auto notifier = cg->oom_notifier();
    auto kills = cg->oom_kills();
    uint64_t seen = kills ? *kills : 0;
    auto next_stats = std::chrono::steady_clock::now();
    while (true) {
        auto now = std::chrono::steady_clock::now();
        if (now >= next_stats) {
            if (!stats().ok()) return {}; // the group is gone: the container stopped
            next_stats = now + std::chrono::milliseconds(interval_ms);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_stats - now).count();
        // Without a notifier, OOM kills are still found at each wakeup.
        int wait = static_cast<int>(std::min<long long>(left, notifier ? left : 200));
        if (notifier) {
            pollfd p{notifier->get(), POLLIN, 0};
            if (poll(&p, 1, wait) > 0) {
                char buf[4096];
                (void)::read(notifier->get(), buf, sizeof buf);
            }
        } else {
            usleep(static_cast<useconds_t>(wait) * 1000);
        }
        auto now_kills = cg->oom_kills();
        if (now_kills && *now_kills > seen) {
            for (uint64_t i = seen; i < *now_kills; ++i)
                emit(oom_event_json(id));
            seen = *now_kills;
        }
        auto dir = store.open(id, false);
        if (!dir) return {};
        auto st = dir->load();
        if (!st || derive_status(*st, dir->path()) == ContainerStatus::Stopped) return {};
    }
}

} // namespace corral::runtime
