// The v1 memory controller. As in runc, 0 means "unset" for limit,
// reservation, swap and kernelTCP (OCI tools emit zeros for "no value").
#include <cerrno>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

namespace {

constexpr const char* kLimit = "memory.limit_in_bytes";
constexpr const char* kSwap = "memory.memsw.limit_in_bytes";

bool set(const std::optional<int64_t>& v) {
    return v && *v != 0;
}

std::string read_or(int dir, const char* name, const char* fallback) {
    auto r = read_file(dir, name);
    return r ? *r : fallback;
}

Status write_limit(int dir, int64_t limit) {
    std::string value = std::to_string(limit);
    auto r = write_file(dir, kLimit, value);
    if (r.ok()) return r;
    // The kernel answers EBUSY when reclaim cannot bring usage under the
    // new limit: say so with the numbers rather than "device busy".
    if (r.error().err == EBUSY)
        return plain_error("linux.resources.memory.limit:",
                           "cannot set " + value + " below current usage " +
                               read_or(dir, "memory.usage_in_bytes", "unknown") + " (peak " +
                               read_or(dir, "memory.max_usage_in_bytes", "unknown") + ")");
    return std::move(r).context("linux.resources.memory.limit");
}

Status write_swap(int dir, int64_t swap) {
    return write_file(dir, kSwap, std::to_string(swap)).context("linux.resources.memory.swap");
}

// The kernel keeps memsw.limit ≥ limit at every moment, so which of the two
// files goes first depends on where the current limit is (runc's
// setMemoryAndSwap): a memsw above the current limit can go first, and then
// the limit under it; otherwise the limit comes down first. 0 is unset.
Status write_limit_and_swap(int dir, int64_t limit, int64_t swap) {
    bool have_memsw = file_exists(dir, kSwap);
    // Unlimited memory with no word on swap means unlimited swap too: the
    // memsw limit would otherwise refuse the limit's "-1".
    if (limit == -1 && swap == 0 && have_memsw) swap = -1;
    if (swap != 0 && !have_memsw) {
        // Without swap accounting (swapaccount=0 or CONFIG_MEMCG_SWAP off)
        // "unlimited" is what the host gives anyway; anything else cannot be
        // enforced, and must not be silently dropped.
        if (swap != -1)
            return plain_error("linux.resources.memory.swap:",
                               "this kernel has no swap accounting (no " + std::string(kSwap) +
                                   "; boot with swapaccount=1)");
        swap = 0;
    }
    if (limit > 0 && swap > 0 && swap < limit)
        return plain_error("linux.resources.memory.swap:", std::to_string(swap) +
                                                               " must be at least memory.limit " +
                                                               std::to_string(limit));
    if (limit == -1 && swap != 0 && swap != -1)
        return plain_error("linux.resources.memory.swap:",
                           std::to_string(swap) + " must be -1 when memory.limit is -1");

    if (limit != 0 && swap != 0) {
        auto text = read_file(dir, kLimit);
        if (!text) return text.error();
        auto current = parse_value(*text);
        if (!current) return current.error().context(kLimit);
        if (swap == -1 || *current < static_cast<uint64_t>(swap)) {
            CORRAL_TRY(write_swap(dir, swap));
            return write_limit(dir, limit);
        }
    }
    if (limit != 0) CORRAL_TRY(write_limit(dir, limit));
    if (swap != 0) CORRAL_TRY(write_swap(dir, swap));
    return {};
}

// checkBeforeUpdate: refuse rather than let the kernel reclaim (or OOM-kill)
// the container down to a limit below what it already uses.
Status check_usage(int dir, int64_t limit) {
    if (limit <= 0) return {};
    auto text = read_file(dir, "memory.usage_in_bytes");
    if (!text) return text.error();
    auto usage = parse_value(*text);
    if (!usage) return usage.error().context("memory.usage_in_bytes");
    if (static_cast<uint64_t>(limit) < *usage)
        return plain_error("linux.resources.memory.limit:",
                           "new limit " + std::to_string(limit) + " is below current usage " +
                               std::to_string(*usage) + " (checkBeforeUpdate)");
    return {};
}

} // namespace

Status apply_memory(int dir, const spec::Memory& m, bool update) {
    if (m.swappiness && *m.swappiness != UINT64_MAX && *m.swappiness > 100)
        return plain_error("linux.resources.memory.swappiness:",
                           std::to_string(*m.swappiness) + " is out of range 0-100");
    if (update && m.check_before_update.value_or(false) && set(m.limit))
        CORRAL_TRY(check_usage(dir, *m.limit));

    CORRAL_TRY(write_limit_and_swap(dir, m.limit.value_or(0), m.swap.value_or(0)));

    // memory.kmem.limit_in_bytes is deprecated (kernel 5.4) and gone in 6.1;
    // setting it could fail container start on new kernels, so `kernel` is
    // ignored as runc ≥ 1.1 does. kernelTCP is still honoured.
    if (set(m.reservation))
        CORRAL_TRY(write_file(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation))
                       .context("linux.resources.memory.reservation"));
    if (set(m.kernel_tcp))
        CORRAL_TRY(write_file(dir, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp))
                       .context("linux.resources.memory.kernelTCP"));
    // The kernel cannot re-enable the OOM killer through this file, so only
    // true is written (as runc).
    if (m.disable_oom_killer.value_or(false))
        CORRAL_TRY(write_file(dir, "memory.oom_control", "1")
                       .context("linux.resources.memory.disableOOMKiller"));
    // -1 (as unsigned) is how the spec's Go users say "leave it".
    if (m.swappiness && *m.swappiness != UINT64_MAX)
        CORRAL_TRY(write_file(dir, "memory.swappiness", std::to_string(*m.swappiness))
                       .context("linux.resources.memory.swappiness"));
    // useHierarchy is not written: since kernel 5.16 it is always 1 and
    // writing 0 fails; runc ignores it too.
    return {};
}

} // namespace corral::cgroups::v1
