#include "cgroups/v2/devices_bpf.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::cgroups::v2 {

namespace {

// The license only decides whether the program may call GPL-only helpers, and
// the filter calls none; "GPL" is what crun and systemd declare for theirs.
constexpr char kLicense[] = "GPL";
// Shown by bpftool, so whoever looks at a group can tell whose filter it is.
constexpr char kProgName[] = "corral_devices";
static_assert(sizeof(kProgName) <= BPF_OBJ_NAME_LEN);

// After the prologue: R1 (the context pointer) is free as a scratch register.
constexpr uint8_t kCtx = BPF_REG_1;
constexpr uint8_t kScratch = BPF_REG_1;
constexpr uint8_t kType = BPF_REG_2;
constexpr uint8_t kAccess = BPF_REG_3;
constexpr uint8_t kMajor = BPF_REG_4;
constexpr uint8_t kMinor = BPF_REG_5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn load_u32(uint8_t dst, uint8_t src, size_t off) {
    return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, static_cast<int16_t>(off), 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src) {
    return insn(BPF_JMP | op | BPF_X, dst, src, 0, 0);
}
void append_return(std::vector<bpf_insn>& out, int32_t v) {
    out.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, v));
    out.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

// One rule: checks that jump past the block when the request does not match,
// then "return allow". Every rule but "a *:* rwm" has at least one check.
void append_rule(std::vector<bpf_insn>& out, const DeviceAccessRule& r) {
    unsigned access = r.access & kDeviceAllAccess;
    if (access == 0 || (r.type != 'a' && r.type != 'b' && r.type != 'c')) return; // matches nothing
    // No device has such numbers (dev_t holds 12 bits of major, 20 of minor),
    // and JNE would compare them sign-extended.
    if (r.major > INT32_MAX || r.minor > INT32_MAX) return;
    std::vector<bpf_insn> block;
    std::vector<size_t> skips;
    auto skip_if = [&](bpf_insn i) {
        skips.push_back(block.size());
        block.push_back(i);
    };
    if (r.type != 'a')
        skip_if(jump_imm(BPF_JNE, kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (access != kDeviceAllAccess) {
        block.push_back(mov32_reg(kScratch, kAccess));
        block.push_back(alu32_imm(BPF_AND, kScratch, static_cast<int32_t>(access)));
        if (r.allow)
            skip_if(jump_reg(BPF_JNE, kScratch, kAccess)); // a requested bit it lacks
        else
            skip_if(jump_imm(BPF_JEQ, kScratch, 0)); // none of the requested bits
    }
    if (r.major >= 0) skip_if(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(r.major)));
    if (r.minor >= 0) skip_if(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(r.minor)));
    append_return(block, r.allow ? 1 : 0);
    for (size_t at : skips)
        block[at].off = static_cast<int16_t>(block.size() - at - 1);
    out.insert(out.end(), block.begin(), block.end());
}

long bpf(int cmd, union bpf_attr* attr) {
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

uint64_t ptr(const void* p) {
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

// Before 5.11 BPF programs were charged to RLIMIT_MEMLOCK, often 64 KiB;
// raised only when a load failed, so newer kernels leave the limit alone.
void raise_memlock() {
    rlimit lim{RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &lim) == 0) return;
    if (getrlimit(RLIMIT_MEMLOCK, &lim) != 0) return;
    lim.rlim_cur = lim.rlim_max;
    (void)setrlimit(RLIMIT_MEMLOCK, &lim);
}

// The verifier's log on one line; the reason it refused is at the end.
std::string one_line(const char* log) {
    std::string out;
    for (const char* p = log; *p; ++p)
        out += *p == '\n' ? std::string("; ") : std::string(1, *p);
    while (!out.empty() && (out.back() == ' ' || out.back() == ';'))
        out.pop_back();
    constexpr size_t kKeep = 2000;
    if (out.size() > kKeep) out = "..." + out.substr(out.size() - kKeep);
    return out;
}

Result<std::vector<uint32_t>> attached_ids(int cgroup_fd) {
    std::vector<uint32_t> ids(64);
    for (int tries = 0; tries < 8; ++tries) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = ptr(ids.data());
        attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
        if (bpf(BPF_PROG_QUERY, &attr) == 0) {
            ids.resize(attr.query.prog_cnt);
            return ids;
        }
        // ENOSPC: more than fit; prog_cnt now says how many.
        if (errno != ENOSPC) return sys_error("query device filters");
        ids.resize(std::max<size_t>(attr.query.prog_cnt, ids.size() * 2));
    }
    return plain_error("query device filters", "the list keeps growing");
}

// The programs attached to the group that we may replace or detach, opened.
Result<std::vector<UniqueFd>> open_attached(int cgroup_fd) {
    auto ids = attached_ids(cgroup_fd);
    if (!ids.ok()) return ids.error();
    std::vector<UniqueFd> fds;
    for (uint32_t id : *ids) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        UniqueFd fd(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
        if (fd) {
            fds.push_back(std::move(fd));
            continue;
        }
        // ENOENT: detached and freed since the query. EPERM/EACCES: an LSM
        // guards it; it can only deny more, so it may stay.
        if (errno == ENOENT || errno == EPERM || errno == EACCES) continue;
        return sys_error("open attached device filter", "id " + std::to_string(id));
    }
    return fds;
}

int attach(int cgroup_fd, int prog_fd, int replace_fd) {
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (replace_fd >= 0) {
        attr.attach_flags |= BPF_F_REPLACE;
        attr.replace_bpf_fd = static_cast<uint32_t>(replace_fd);
    }
    return static_cast<int>(bpf(BPF_PROG_ATTACH, &attr));
}

Status detach_all(int cgroup_fd, const std::vector<UniqueFd>& progs, size_t from) {
    for (size_t i = from; i < progs.size(); ++i) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof(attr));
        attr.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.attach_bpf_fd = static_cast<uint32_t>(progs[i].get());
        attr.attach_type = BPF_CGROUP_DEVICE;
        // ENOENT: someone else detached it meanwhile, which is what we want.
        if (bpf(BPF_PROG_DETACH, &attr) != 0 && errno != ENOENT)
            return sys_error("detach old device filter");
    }
    return {};
}

} // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceAccessRule>& rules) {
    size_t first = 0;
    bool default_allow = false;
    for (size_t i = rules.size(); i-- > 0;) {
        if (is_whole_wildcard(rules[i])) {
            first = i + 1;
            default_allow = rules[i].allow;
            break;
        }
    }
    std::vector<bpf_insn> blocks;
    for (size_t i = rules.size(); i-- > first;)
        append_rule(blocks, rules[i]);

    std::vector<bpf_insn> prog;
    if (!blocks.empty()) {
        // access_type holds the device type in its low 16 bits and the
        // requested access in the high 16.
        prog = {
            load_u32(kType, kCtx, offsetof(bpf_cgroup_dev_ctx, access_type)),
            alu32_imm(BPF_AND, kType, 0xffff),
            load_u32(kAccess, kCtx, offsetof(bpf_cgroup_dev_ctx, access_type)),
            alu32_imm(BPF_RSH, kAccess, 16),
            load_u32(kMajor, kCtx, offsetof(bpf_cgroup_dev_ctx, major)),
            load_u32(kMinor, kCtx, offsetof(bpf_cgroup_dev_ctx, minor)),
        };
        prog.insert(prog.end(), blocks.begin(), blocks.end());
    }
    append_return(prog, default_allow ? 1 : 0);
    return prog;
}

Result<UniqueFd> load_device_filter(const std::vector<bpf_insn>& insns) {
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = ptr(insns.data());
    attr.insn_cnt = static_cast<uint32_t>(insns.size());
    attr.license = ptr(kLicense);
    std::memcpy(attr.prog_name, kProgName, sizeof(kProgName));

    int fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
    if (fd < 0 && errno == EPERM) {
        raise_memlock();
        fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
    }
    if (fd >= 0) return UniqueFd(fd);
    int err = errno;

    // Again with the verifier's log, which names the instruction it refused
    // (not the first time: logging makes every load slower).
    std::vector<char> log(64 * 1024, '\0');
    attr.log_level = 1;
    attr.log_buf = ptr(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
    if (fd >= 0) return UniqueFd(fd);
    log.back() = '\0';
    std::string why = one_line(log.data());
    return Error{err, "load device filter", why.empty() ? "" : "(verifier: " + why + ")"};
}

Status attach_device_filter(int cgroup_dir_fd, int prog_fd) {
    bool can_replace = true;
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto old = open_attached(cgroup_dir_fd);
        if (!old.ok()) return old.error();
        int replace_fd = can_replace && !old->empty() ? old->front().get() : -1;
        if (attach(cgroup_dir_fd, prog_fd, replace_fd) == 0)
            return detach_all(cgroup_dir_fd, *old, replace_fd >= 0 ? 1 : 0);
        // ENOENT: the one to replace was detached since the query.
        if (errno == ENOENT && replace_fd >= 0) continue;
        // EINVAL: a kernel without BPF_F_REPLACE (before 5.6).
        if (errno == EINVAL && replace_fd >= 0) {
            can_replace = false;
            continue;
        }
        return sys_error("attach device filter");
    }
    return plain_error("attach device filter", "the group's filters keep changing");
}

Status apply_device_filter(int cgroup_dir_fd, const std::vector<spec::DeviceRule>& rules) {
    auto effective = effective_device_rules(rules);
    if (!effective.ok()) return effective.error();
    auto prog = load_device_filter(device_filter_program(*effective));
    if (!prog.ok()) return prog.error();
    return attach_device_filter(cgroup_dir_fd, prog->get());
}

} // namespace corral::cgroups::v2
