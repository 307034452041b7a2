// The cpu controller: cpu.idle, cpu.weight, cpu.max and cpu.max.burst.
#include <cerrno>
#include <cmath>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

// crun ≥ 1.23 (containers/crun PR #1767, "cgroup: change conversion from CPU
// shares to weight") and runc ≥ 1.3.2 (opencontainers/cgroups PR #20,
// ConvertCPUSharesToCgroupV2Value) both use this log-quadratic curve instead
// of the old linear 1 + (shares-2)*9999/262142, which turned v1's default
// 1024 into 39 and so starved containers next to v2 defaults of 100. With
// l = log2(shares) the exponent (l² + 125·l)/612 − 7/34 passes through the
// three fixed points (2 → 10⁰, 1024 → 10², 262144 → 10⁴); the weight is
// 10^exponent rounded up. Out-of-range shares clamp to the ends; 0 is unset.
uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    double l = std::log2(static_cast<double>(shares));
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

namespace {

// cpu.max is "QUOTA PERIOD"; an empty result means nothing to write.
Result<std::string> cpu_max_text(int dir, const spec::Cpu& c) {
    bool quota = c.quota && *c.quota != 0; // 0 is unset, as in runc
    bool period = c.period && *c.period != 0;
    if (!quota && !period) return std::string{};
    std::string q;
    if (quota) {
        q = *c.quota < 0 ? "max" : std::to_string(*c.quota);
    } else {
        // The kernel takes a lone number as a new quota, not a period: a
        // period alone needs the current quota written back with it.
        auto cur = read_file(dir, "cpu.max");
        if (!cur) return cur.error();
        auto words = split_words(*cur);
        if (words.empty()) return plain_error("read cgroup file", "cpu.max: empty");
        q = words[0];
    }
    return period ? q + " " + std::to_string(*c.period) : q;
}

} // namespace

Status apply_cpu(int dir, const spec::Cpu& c) {
    // Idle first: the kernel refuses cpu.weight while a group is idle, so
    // leaving idle must come before a new weight.
    if (c.idle)
        CORRAL_TRY(write_file(dir, "cpu.idle", std::to_string(*c.idle))
                       .context("linux.resources.cpu.idle"));
    if (c.shares && *c.shares != 0) // Docker's 0 means "no preference"
        CORRAL_TRY(write_file(dir, "cpu.weight", std::to_string(shares_to_weight(*c.shares)))
                       .context("linux.resources.cpu.shares"));

    auto max = cpu_max_text(dir, c);
    if (!max) return Error(max.error()).context("linux.resources.cpu.period");

    // The kernel wants burst <= quota at every step. Lowering both works
    // burst first; raising both fails there with EINVAL, and then works
    // after the new quota, as runc retries.
    bool burst_pending = false;
    if (c.burst) {
        auto r = write_file(dir, "cpu.max.burst", std::to_string(*c.burst));
        if (!r) {
            if (r.error().err != EINVAL || max->empty())
                return Error(r.error()).context("linux.resources.cpu.burst");
            burst_pending = true;
        }
    }
    if (!max->empty())
        CORRAL_TRY(write_file(dir, "cpu.max", *max).context("linux.resources.cpu.quota"));
    if (burst_pending)
        CORRAL_TRY(write_file(dir, "cpu.max.burst", std::to_string(*c.burst))
                       .context("linux.resources.cpu.burst"));
    return {};
}

} // namespace corral::cgroups::v2
