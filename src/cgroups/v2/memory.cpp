// memory.max, memory.low and memory.swap.max from the OCI memory block,
// whose swap is v1's memory+swap total and is converted as runc does.
#include <optional>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

namespace {

// -1 is v1's "remove the limit", which v2 spells "max".
std::string limit_text(int64_t v) {
    return v == -1 ? "max" : std::to_string(v);
}

// What memory.swap.max gets, or nothing. Swap left unset with an unlimited
// memory means "both unlimited" (v1 behaviour, kept by runc); an explicit 0
// means unset; equal memory and memory+swap means no swap at all ("0").
Result<std::optional<std::string>> swap_text(const spec::Memory& m) {
    int64_t limit = m.limit.value_or(0);
    if (!m.swap && limit != -1) return std::optional<std::string>{};
    int64_t swap = m.swap.value_or(0);
    auto v = swap_to_v2(swap, limit);
    if (!v) return v.error();
    if (*v == -1) return std::optional<std::string>{"max"};
    if (*v == 0 && swap <= 0) return std::optional<std::string>{};
    return std::optional<std::string>{std::to_string(*v)};
}

// runc's checkBeforeUpdate: refuse a limit the group already exceeds rather
// than let the kernel reclaim and OOM-kill to reach it. Best effort: an
// unreadable memory.current (group not populated yet) lets it through.
Status check_usage(int dir, const spec::Memory& m) {
    if (!m.check_before_update.value_or(false) || m.limit.value_or(0) <= 0) return {};
    auto text = read_file(dir, "memory.current");
    if (!text) return {};
    auto usage = parse_value(*text);
    if (!usage) return {};
    if (*usage >= static_cast<uint64_t>(*m.limit))
        return plain_error("linux.resources.memory.limit:",
                           "refusing " + std::to_string(*m.limit) + " below the current usage " +
                               std::to_string(*usage) + " (checkBeforeUpdate)");
    return {};
}

} // namespace

Result<int64_t> swap_to_v2(int64_t swap, int64_t limit) {
    const char* field = "linux.resources.memory.swap:";
    if (limit == -1 && swap == 0) return int64_t{-1};
    if (swap == -1 || swap == 0) return swap;
    if (swap < -1) return plain_error(field, "invalid value " + std::to_string(swap));
    if (limit == 0 || limit == -1)
        return plain_error(field,
                           "a swap limit needs a memory limit (linux.resources.memory.limit)");
    if (limit < -1)
        return plain_error("linux.resources.memory.limit:",
                           "invalid value " + std::to_string(limit));
    if (swap < limit)
        return plain_error(field, "memory+swap " + std::to_string(swap) +
                                      " is below the memory limit " + std::to_string(limit));
    return swap - limit;
}

Status apply_memory(int dir, const spec::Memory& m) {
    CORRAL_TRY(check_usage(dir, m));
    auto swap = swap_text(m);
    if (!swap) return swap.error();

    // Swap first: lowering memory.max makes the kernel reclaim at once, and
    // that reclaim must already see the new swap budget, or it could push
    // pages into swap the final configuration does not allow. In v2 the two
    // limits are independent, so neither order can make a write fail.
    if (*swap) {
        if (!file_exists(dir, "memory.swap.max")) {
            // Nothing to enforce when no limit is asked for.
            if (**swap != "max")
                return plain_error("linux.resources.memory.swap:",
                                   "swap accounting is not enabled (no memory.swap.max in the "
                                   "container's cgroup)");
        } else {
            CORRAL_TRY(
                write_file(dir, "memory.swap.max", **swap).context("linux.resources.memory.swap"));
        }
    }
    // 0 is "unset" for both, as in runc.
    if (m.limit && *m.limit != 0)
        CORRAL_TRY(write_file(dir, "memory.max", limit_text(*m.limit))
                       .context("linux.resources.memory.limit"));
    if (m.reservation && *m.reservation != 0)
        CORRAL_TRY(write_file(dir, "memory.low", limit_text(*m.reservation))
                       .context("linux.resources.memory.reservation"));
    return {};
}

} // namespace corral::cgroups::v2
