// The io controller from the OCI blockIO block: weights (through BFQ when
// the group has it) and io.max throttles.
#include <string>
#include <vector>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

// blkio.weight's [10, 1000] mapped linearly onto io.weight's [1, 10000]
// (runc's ConvertBlkIOToIOWeightValue, crun's conversion); 0 stays unset
// and values off the v1 range clamp to the ends rather than wrap.
uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    if (weight <= 10) return 1;
    if (weight >= 1000) return 10000;
    return 1 + (weight - 10) * 9999 / 990;
}

namespace {

std::string device(int64_t major, int64_t minor) {
    return std::to_string(major) + ":" + std::to_string(minor);
}

Status throttle(int dir, const std::vector<spec::ThrottleDevice>& list, const char* key,
                const char* field) {
    for (const auto& t : list) {
        // io.max has no zero rate: "max" is how a limit is removed.
        std::string rate = t.rate == 0 ? "max" : std::to_string(t.rate);
        CORRAL_TRY(write_file(dir, "io.max", device(t.major, t.minor) + " " + key + "=" + rate)
                       .context(field));
    }
    return {};
}

} // namespace

Status apply_io(int dir, const spec::BlockIo& b) {
    bool want_weight = (b.weight && *b.weight != 0);
    for (const auto& wd : b.weight_device)
        want_weight = want_weight || (wd.weight && *wd.weight != 0);
    if (want_weight) {
        // BFQ takes blkio's own scale; only without it does io.weight (the
        // iocost/io.weight scale) need the conversion.
        bool bfq = file_exists(dir, "io.bfq.weight");
        const char* file = bfq ? "io.bfq.weight" : "io.weight";
        auto value = [&](uint16_t w) {
            return std::to_string(bfq ? w : blkio_weight_to_io_weight(w));
        };
        if (b.weight && *b.weight != 0) {
            // A bare number is all older BFQ accepts; io.weight, which
            // also holds per-device lines, gets its default named.
            std::string v = bfq ? value(*b.weight) : "default " + value(*b.weight);
            CORRAL_TRY(write_file(dir, file, v).context("linux.resources.blockIO.weight"));
        }
        for (const auto& wd : b.weight_device) {
            if (!wd.weight || *wd.weight == 0) continue;
            CORRAL_TRY(write_file(dir, file, device(wd.major, wd.minor) + " " + value(*wd.weight))
                           .context("linux.resources.blockIO.weightDevice"));
        }
    }
    CORRAL_TRY(throttle(dir, b.throttle_read_bps, "rbps",
                        "linux.resources.blockIO.throttleReadBpsDevice"));
    CORRAL_TRY(throttle(dir, b.throttle_write_bps, "wbps",
                        "linux.resources.blockIO.throttleWriteBpsDevice"));
    CORRAL_TRY(throttle(dir, b.throttle_read_iops, "riops",
                        "linux.resources.blockIO.throttleReadIOPSDevice"));
    CORRAL_TRY(throttle(dir, b.throttle_write_iops, "wiops",
                        "linux.resources.blockIO.throttleWriteIOPSDevice"));
    return {};
}

} // namespace corral::cgroups::v2
