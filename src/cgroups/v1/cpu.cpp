// The v1 cpu controller (CFS shares and bandwidth, RT bandwidth, idle). As
// in runc, 0 means "unset" for shares, period, quota and the realtime pair.
#include <cerrno>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

namespace {

template <typename T> bool set(const std::optional<T>& v) {
    return v && *v != 0;
}

// The kernel silently clamps cpu.shares to [2, 262144]: read it back so a
// refused value is an error, not a different limit.
Status write_shares(int dir, uint64_t shares) {
    const char* field = "linux.resources.cpu.shares";
    CORRAL_TRY(write_file(dir, "cpu.shares", std::to_string(shares)).context(field));
    auto text = read_file(dir, "cpu.shares");
    if (!text) return text.error().context(field);
    auto got = parse_value(*text);
    if (!got) return got.error().context(field);
    if (shares > *got)
        return plain_error(std::string(field) + ":",
                           "the maximum allowed cpu-shares is " + std::to_string(*got));
    if (shares < *got)
        return plain_error(std::string(field) + ":",
                           "the minimum allowed cpu-shares is " + std::to_string(*got));
    return {};
}

// Period, burst and quota are checked against each other and against the
// parent's bandwidth on every write, so a new period (or burst) can be
// refused with EINVAL until the new quota is in. Then, as runc does, it is
// written once more after the quota.
Status write_bandwidth(int dir, const spec::Cpu& c) {
    std::string retry_period, retry_burst;
    if (set(c.period)) {
        std::string v = std::to_string(*c.period);
        auto r = write_file(dir, "cpu.cfs_period_us", v);
        if (!r.ok()) {
            if (r.error().err != EINVAL || !set(c.quota))
                return std::move(r).context("linux.resources.cpu.period");
            retry_period = v;
        }
    }
    if (c.burst) {
        std::string v = std::to_string(*c.burst);
        auto r = write_file(dir, "cpu.cfs_burst_us", v);
        if (!r.ok()) {
            // Kernels before 5.14 have no burst; a zero burst asks nothing.
            bool absent_zero = r.error().err == ENOENT && *c.burst == 0;
            if (!absent_zero) {
                if (r.error().err != EINVAL || !set(c.quota))
                    return std::move(r).context("linux.resources.cpu.burst");
                retry_burst = v;
            }
        }
    }
    if (set(c.quota)) {
        CORRAL_TRY(write_file(dir, "cpu.cfs_quota_us", std::to_string(*c.quota))
                       .context("linux.resources.cpu.quota"));
        if (!retry_period.empty())
            CORRAL_TRY(write_file(dir, "cpu.cfs_period_us", retry_period)
                           .context("linux.resources.cpu.period"));
        if (!retry_burst.empty())
            CORRAL_TRY(write_file(dir, "cpu.cfs_burst_us", retry_burst)
                           .context("linux.resources.cpu.burst"));
    }
    return {};
}

// The same interdependence for RT: runtime/period may not exceed what the
// parent grants, checked on each write.
Status write_realtime(int dir, const spec::Cpu& c) {
    std::string retry_period;
    if (set(c.realtime_period)) {
        std::string v = std::to_string(*c.realtime_period);
        auto r = write_file(dir, "cpu.rt_period_us", v);
        if (!r.ok()) {
            if (r.error().err != EINVAL || !set(c.realtime_runtime))
                return std::move(r).context("linux.resources.cpu.realtimePeriod");
            retry_period = v;
        }
    }
    if (set(c.realtime_runtime)) {
        auto r = write_file(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime));
        if (!r.ok()) {
            if (r.error().err == EINVAL)
                // Every ancestor must hold at least this much runtime, and a
                // new group's parent usually has 0 (only the root has any).
                return plain_error("linux.resources.cpu.realtimeRuntime:",
                                   r.error().message() +
                                       " (the parent group's cpu.rt_runtime_us must be large "
                                       "enough to grant it)");
            return std::move(r).context("linux.resources.cpu.realtimeRuntime");
        }
        if (!retry_period.empty())
            CORRAL_TRY(write_file(dir, "cpu.rt_period_us", retry_period)
                           .context("linux.resources.cpu.realtimePeriod"));
    }
    return {};
}

} // namespace

Status apply_cpu(int dir, const spec::Cpu& c) {
    if (set(c.shares)) CORRAL_TRY(write_shares(dir, *c.shares));
    CORRAL_TRY(write_bandwidth(dir, c));
    if (c.idle)
        CORRAL_TRY(write_file(dir, "cpu.idle", std::to_string(*c.idle))
                       .context("linux.resources.cpu.idle"));
    return write_realtime(dir, c);
}

} // namespace corral::cgroups::v1
