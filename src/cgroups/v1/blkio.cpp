// The v1 blkio controller: proportional weights (CFQ, or BFQ's files when
// CFQ's are absent, as on kernels ≥ 5.0 where CFQ is gone) and throttling.
// As runc, a weight of 0 means "unset".
#include <string>
#include <vector>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

namespace {

std::string device(int64_t major, int64_t minor) {
    return std::to_string(major) + ":" + std::to_string(minor);
}

Status write_throttle(int dir, const char* file, const char* field,
                      const std::vector<spec::ThrottleDevice>& list) {
    // One write per device: the kernel parses one "maj:min rate" per write.
    for (const auto& t : list)
        CORRAL_TRY(write_file(dir, file, device(t.major, t.minor) + " " + std::to_string(t.rate))
                       .context(std::string("linux.resources.blockIO.") + field));
    return {};
}

} // namespace

Status apply_blkio(int dir, const spec::BlockIo& b) {
    bool cfq = file_exists(dir, "blkio.weight");
    std::string weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    std::string weight_device_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";

    if (b.weight && *b.weight != 0)
        CORRAL_TRY(write_file(dir, weight_file, std::to_string(*b.weight))
                       .context("linux.resources.blockIO.weight"));
    if (b.leaf_weight && *b.leaf_weight != 0)
        CORRAL_TRY(write_file(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight))
                       .context("linux.resources.blockIO.leafWeight"));
    for (const auto& d : b.weight_device) {
        std::string dev = device(d.major, d.minor);
        if (d.weight && *d.weight != 0)
            CORRAL_TRY(write_file(dir, weight_device_file, dev + " " + std::to_string(*d.weight))
                           .context("linux.resources.blockIO.weightDevice"));
        if (d.leaf_weight && *d.leaf_weight != 0)
            CORRAL_TRY(write_file(dir, "blkio.leaf_weight_device",
                                  dev + " " + std::to_string(*d.leaf_weight))
                           .context("linux.resources.blockIO.weightDevice"));
    }
    CORRAL_TRY(write_throttle(dir, "blkio.throttle.read_bps_device", "throttleReadBpsDevice",
                              b.throttle_read_bps));
    CORRAL_TRY(write_throttle(dir, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice",
                              b.throttle_write_bps));
    CORRAL_TRY(write_throttle(dir, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice",
                              b.throttle_read_iops));
    return write_throttle(dir, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice",
                          b.throttle_write_iops);
}

} // namespace corral::cgroups::v1
