// decode_frame() is what stands between the container side (which may be
// compromised once user code runs) and the runtime: a length confusion here
// is the CVE-2021-43784 class of bug. The decoder must accept exactly the
// well-formed datagrams and copy exactly the announced payload.
#include "runtime/sync.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

using corral::runtime::Frame;
using corral::runtime::FrameHeader;
using corral::runtime::kMaxPayload;
using corral::runtime::Msg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Frame is ~60 KiB: static, as in recv_frame(), to keep it off the stack.
    static Frame frame;
    int rc = corral::runtime::decode_frame(data, size, &frame);

    bool well_formed = false;
    if (size >= sizeof(FrameHeader)) {
        FrameHeader h;
        std::memcpy(&h, data, sizeof h);
        well_formed = h.type >= static_cast<uint32_t>(Msg::InitPid) &&
                      h.type <= static_cast<uint32_t>(corral::runtime::kLastMsg) &&
                      h.length <= kMaxPayload && size == sizeof h + h.length;
    }
    FUZZ_REQUIRE((rc == 0) == well_formed);
    if (rc != 0) return 0;

    FUZZ_REQUIRE(frame.length <= kMaxPayload);
    FUZZ_REQUIRE(size == sizeof(FrameHeader) + frame.length);
    FUZZ_REQUIRE(std::memcmp(frame.payload, data + sizeof(FrameHeader), frame.length) == 0);
    FUZZ_REQUIRE(frame.payload[frame.length] == '\0');

    if (frame.type == Msg::Error) {
        // The parent prints both parts; they must stay inside the payload.
        const char* op = nullptr;
        const char* detail = nullptr;
        corral::runtime::split_error(frame, &op, &detail);
        size_t a = std::strlen(op);
        FUZZ_REQUIRE(a <= frame.length);
        FUZZ_REQUIRE(a == frame.length || detail == frame.payload + a + 1);
        FUZZ_REQUIRE(std::strlen(detail) <= frame.length);
    }
    return 0;
}
