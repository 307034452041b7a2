#include <doctest/doctest.h>

#include "device_rule_util.hpp"

#include <cstddef>
#include <random>
#include <sstream>

#include "cgroups/device_rules.hpp"
#include "cgroups/devices_v1.hpp"
#include "cgroups/v2/devices_bpf.hpp"

using namespace corral;
using cgroups::DeviceAccessRule;
using test::rule;

namespace {

constexpr unsigned M = cgroups::kDeviceMknod, R = cgroups::kDeviceRead, W = cgroups::kDeviceWrite,
                   RWM = cgroups::kDeviceAllAccess;

// Runs a device program on one request, for the opcodes the generator emits,
// refusing reads of unset registers, jumps out of the program and unknown
// opcodes. Returns R0, or -1 with *why set.
int run(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
        unsigned access, std::string* why) {
    const uint32_t ctx[3] = {(access << 16) | (type == 'b' ? 1u : 2u), major, minor};
    constexpr uint64_t kCtxPtr = 0xc0ffee000;
    uint64_t reg[11] = {};
    bool set[11] = {};
    reg[1] = kCtxPtr;
    set[1] = set[10] = true;
    auto get = [&](int r) {
        if (!set[r]) throw std::string("read of unset r" + std::to_string(r));
        return reg[r];
    };
    auto put = [&](int r, uint64_t v) {
        reg[r] = v;
        set[r] = true;
    };
    try {
        for (size_t pc = 0, steps = 0; steps < 10000; ++pc, ++steps) {
            if (pc >= prog.size()) throw std::string("ran off the end");
            const bpf_insn& i = prog[pc];
            const uint64_t imm64 = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
            const auto jump = [&](bool taken) {
                if (taken) pc += i.off;
            };
            switch (i.code) {
            case BPF_LDX | BPF_W | BPF_MEM:
                if (get(i.src_reg) != kCtxPtr || i.off % 4 || i.off < 0 || i.off > 8)
                    throw std::string("bad load");
                put(i.dst_reg, ctx[i.off / 4]);
                break;
            case BPF_ALU | BPF_AND | BPF_K:
                put(i.dst_reg,
                    static_cast<uint32_t>(get(i.dst_reg)) & static_cast<uint32_t>(i.imm));
                break;
            case BPF_ALU | BPF_RSH | BPF_K:
                put(i.dst_reg, static_cast<uint32_t>(get(i.dst_reg)) >> i.imm);
                break;
            case BPF_ALU | BPF_MOV | BPF_X:
                put(i.dst_reg, static_cast<uint32_t>(get(i.src_reg)));
                break;
            case BPF_ALU64 | BPF_MOV | BPF_K:
                put(i.dst_reg, imm64);
                break;
            case BPF_JMP | BPF_JNE | BPF_K:
                jump(get(i.dst_reg) != imm64);
                break;
            case BPF_JMP | BPF_JEQ | BPF_K:
                jump(get(i.dst_reg) == imm64);
                break;
            case BPF_JMP | BPF_JNE | BPF_X:
                jump(get(i.dst_reg) != get(i.src_reg));
                break;
            case BPF_JMP | BPF_JA:
                jump(true);
                break;
            case BPF_JMP | BPF_EXIT:
                return static_cast<int>(get(0));
            default:
                throw std::string("unknown opcode " + std::to_string(i.code));
            }
        }
        throw std::string("does not stop");
    } catch (const std::string& e) {
        *why = e;
        return -1;
    }
}

// The reference: the v1 devices controller, after the kernel's
// security/device_cgroup.c, fed with lines.
struct KernelV1 {
    struct Entry {
        char type;
        uint32_t major, minor;
        unsigned access;
    };
    bool allow_all = true;
    std::vector<Entry> entries;

    void write(bool allow_file, const std::string& line) {
        if (line[0] == 'a') { // whatever follows
            entries.clear();
            allow_all = allow_file;
            return;
        }
        std::istringstream in(line);
        Entry e{};
        std::string majmin, acc;
        in >> e.type >> majmin >> acc;
        auto num = [](const std::string& s) { return s == "*" ? ~0u : std::stoul(s); };
        e.major = num(majmin.substr(0, majmin.find(':')));
        e.minor = num(majmin.substr(majmin.find(':') + 1));
        for (char c : acc)
            e.access |= c == 'r' ? R : c == 'w' ? W : M;
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (it->type != e.type || it->major != e.major || it->minor != e.minor) continue;
            if (allow_file != allow_all) {
                it->access |= e.access;
            } else if ((it->access &= ~e.access) == 0) {
                entries.erase(it);
            }
            return;
        }
        if (allow_file != allow_all) entries.push_back(e);
    }

    bool allowed(char type, uint32_t major, uint32_t minor, unsigned access) const {
        for (const auto& e : entries) {
            if (e.type != type || (e.major != ~0u && e.major != major) ||
                (e.minor != ~0u && e.minor != minor))
                continue;
            if (allow_all && (access & e.access)) return false;   // match_exception_partial
            if (!allow_all && !(access & ~e.access)) return true; // match_exception
        }
        return allow_all;
    }
};

// The intended meaning of a config, written out independently of the fold:
// the lines corral has always written, with type "a" split into "c" and "b".
KernelV1 reference(const std::vector<spec::DeviceRule>& rules) {
    const char* const defaults[] = {"c *:* m",   "b *:* m",   "c 1:3 rwm",  "c 1:5 rwm",
                                    "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",  "c 5:0 rwm",
                                    "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"};
    KernelV1 k;
    auto deny_all = [&] {
        k.write(false, "a");
        for (const char* d : defaults)
            k.write(true, d);
    };
    deny_all();
    auto num = [](const std::optional<int64_t>& v) {
        return v && *v >= 0 ? std::to_string(*v) : std::string("*");
    };
    for (const auto& r : rules) {
        std::string access = r.access.empty() ? "rwm" : r.access;
        std::string rest = " " + num(r.major) + ":" + num(r.minor) + " " + access;
        if (r.type == "a" || r.type.empty()) {
            bool every = access.find('r') != std::string::npos &&
                         access.find('w') != std::string::npos &&
                         access.find('m') != std::string::npos;
            if (every && num(r.major) == "*" && num(r.minor) == "*") {
                if (r.allow)
                    k.write(true, "a");
                else
                    deny_all();
            } else {
                k.write(r.allow, "c" + rest);
                k.write(r.allow, "b" + rest);
            }
        } else {
            k.write(r.allow, r.type + rest);
        }
    }
    return k;
}

const spec::DeviceRule kDenyAll = rule(false, "a", std::nullopt, std::nullopt, "rwm");
const spec::DeviceRule kAllowAll = rule(true, "", std::nullopt, std::nullopt, "");

std::vector<bpf_insn> program_for(const std::vector<spec::DeviceRule>& rules) {
    auto effective = cgroups::effective_device_rules(rules);
    REQUIRE(effective.ok());
    return cgroups::v2::device_filter_program(*effective);
}

int decide(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
           unsigned access) {
    std::string why;
    int v = run(prog, type, major, minor, access, &why);
    INFO(why);
    REQUIRE(v >= 0);
    return v;
}

bool is(const bpf_insn& i, uint8_t code, uint8_t dst, int32_t imm, int16_t off = 0) {
    return i.code == code && i.dst_reg == dst && i.imm == imm && i.off == off;
}

} // namespace

TEST_CASE("devices bpf: the default list alone") {
    auto prog = program_for({});
    // Prologue 6; c *:* m and b *:* m 6 each; eight c N:N 5 each; c 136:* 4;
    // the final deny 2.
    REQUIRE(prog.size() == 64);
    CHECK(is(prog[0], BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, 0));
    CHECK(is(prog[1], BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0xffff));
    CHECK(is(prog[3], BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 16));
    CHECK(prog[4].off == 4);
    CHECK(prog[5].off == 8);
    // Latest first: c 136:* rwm checks type and major only.
    CHECK(is(prog[6], BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, BPF_DEVCG_DEV_CHAR, 3));
    CHECK(is(prog[7], BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 136, 2));
    CHECK(is(prog[8], BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 1));
    CHECK(prog[9].code == (BPF_JMP | BPF_EXIT));
    CHECK(is(prog[62], BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0));
    CHECK(prog[63].code == (BPF_JMP | BPF_EXIT));

    CHECK(decide(prog, 'c', 1, 3, R | W) == 1);
    CHECK(decide(prog, 'c', 1, 7, W) == 1);
    CHECK(decide(prog, 'c', 136, 5, R | W) == 1);
    CHECK(decide(prog, 'c', 10, 200, R) == 0);
    CHECK(decide(prog, 'c', 10, 200, M) == 1);
    CHECK(decide(prog, 'b', 8, 0, R) == 0);
    CHECK(decide(prog, 'b', 8, 0, M) == 1);
    CHECK(decide(prog, 'b', 1, 3, R) == 0); // /dev/null's numbers, but a block device
}

TEST_CASE("devices bpf: wildcards skip their checks") {
    using cgroups::v2::device_filter_program;
    const DeviceAccessRule deny_all{false, 'a', -1, -1, RWM};
    auto prog = device_filter_program({deny_all, {true, 'a', -1, 3, R}});
    REQUIRE(prog.size() == 14);
    CHECK(is(prog[6], BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, 0));
    CHECK(int(prog[6].src_reg) == BPF_REG_3);
    CHECK(is(prog[7], BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, R));
    CHECK(is(prog[8], BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, 0, 3));
    CHECK(is(prog[9], BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 3, 2));
    CHECK(decide(prog, 'b', 9, 3, R) == 1);
    CHECK(decide(prog, 'c', 1, 3, R) == 1);
    CHECK(decide(prog, 'c', 1, 3, R | W) == 0);
    CHECK(decide(prog, 'c', 1, 4, R) == 0);
    // Allow-all with nothing after it: no prologue at all.
    prog = device_filter_program({{true, 'a', -1, -1, RWM}});
    REQUIRE(prog.size() == 2);
    CHECK(is(prog[0], BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 1));
    CHECK(decide(prog, 'c', 4, 4, W) == 1);
    CHECK(device_filter_program({}).size() == 2); // no rules: deny
}

TEST_CASE("devices bpf: a later deny wins over an earlier allow") {
    const DeviceAccessRule deny_all{false, 'a', -1, -1, RWM};
    auto prog = cgroups::v2::device_filter_program(
        {deny_all, {true, 'c', 1, -1, RWM}, {false, 'c', 1, 3, W}});
    REQUIRE(prog.size() == 6 + 8 + 4 + 2);
    CHECK(is(prog[9], BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 4)); // shares no bit: next
    CHECK(is(prog[12], BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0));
    CHECK(decide(prog, 'c', 1, 3, R) == 1);
    CHECK(decide(prog, 'c', 1, 3, R | W) == 0);
    CHECK(decide(prog, 'c', 1, 3, W) == 0);
    CHECK(decide(prog, 'c', 1, 4, R | W) == 1);
    CHECK(decide(prog, 'c', 2, 3, R) == 0);

    // From a config: allow-all, then deny part of /dev/null.
    prog = program_for({kAllowAll, rule(false, "c", 1, 3, "w")});
    CHECK(decide(prog, 'c', 1, 3, R) == 1);
    CHECK(decide(prog, 'c', 1, 3, R | W) == 0);
    CHECK(decide(prog, 'b', 8, 0, R | W) == 1);
    // Access merges per device, but one rule must hold all requested bits.
    prog = program_for({kDenyAll, rule(true, "c", 10, std::nullopt, "r"),
                        rule(true, "c", 10, 200, "w"), rule(true, "c", 10, 200, "m")});
    CHECK(decide(prog, 'c', 10, 200, W | M) == 1);
    CHECK(decide(prog, 'c', 10, 200, R | W) == 0);
    CHECK(decide(prog, 'c', 10, 200, R) == 1);
    CHECK(decide(prog, 'c', 10, 1, W) == 0);
}

TEST_CASE("devices bpf: a deny-all in the middle resets") {
    const DeviceAccessRule deny_all{false, 'a', -1, -1, RWM};
    auto prog = cgroups::v2::device_filter_program(
        {{true, 'c', 1, -1, RWM}, deny_all, {true, 'c', 4, -1, R}});
    REQUIRE(prog.size() == 6 + 7 + 2);
    CHECK(decide(prog, 'c', 1, 3, R) == 0);
    CHECK(decide(prog, 'c', 4, 1, R) == 1);

    prog = program_for({rule(true, "c", 10, 200, "rwm"), kDenyAll, rule(true, "c", 4, -1, "r")});
    CHECK(decide(prog, 'c', 10, 200, R) == 0);
    CHECK(decide(prog, 'c', 1, 3, R | W) == 1); // the defaults are back
    CHECK(decide(prog, 'c', 4, 64, R) == 1);
    CHECK(decide(prog, 'c', 4, 64, W) == 0);
}

TEST_CASE("devices bpf: random configs decide like the v1 controller") {
    std::mt19937 rng(4242);
    auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::optional<int64_t> majors[] = {std::nullopt, 1, 5, 136, -1};
    const std::optional<int64_t> minors[] = {std::nullopt, 3, 5};
    const char* const types[] = {"", "a", "b", "c", "c"};
    const char* const accesses[] = {"", "r", "w", "m", "rw", "rm", "wm", "rwm", "mr"};
    const char query_types[] = {'b', 'c'};
    const uint32_t query_majors[] = {1, 5, 136, 7}, query_minors[] = {3, 5, 0};
    const unsigned query_access[] = {M, R, W, R | W};
    int checked = 0, refused = 0;
    for (int n = 0; n < 3000; ++n) {
        std::vector<spec::DeviceRule> rules;
        if (pick(3) == 0) rules.push_back(pick(2) ? kDenyAll : kAllowAll);
        for (size_t k = pick(7); k > 0; --k)
            rules.push_back(
                rule(pick(2), types[pick(5)], majors[pick(5)], minors[pick(3)], accesses[pick(9)]));
        auto effective = cgroups::effective_device_rules(rules);
        if (!effective.ok()) {
            ++refused;
            continue;
        }
        auto prog = cgroups::v2::device_filter_program(*effective);
        KernelV1 ref = reference(rules);
        auto lines = cgroups::device_rule_lines(rules);
        REQUIRE(lines.ok());
        KernelV1 v1;
        for (const auto& l : *lines)
            v1.write(l.allow, l.rule);
        for (char t : query_types)
            for (uint32_t ma : query_majors)
                for (uint32_t mi : query_minors)
                    for (unsigned acc : query_access) {
                        bool want = ref.allowed(t, ma, mi, acc);
                        std::string why;
                        int got = run(prog, t, ma, mi, acc, &why);
                        if (got != int(want) || v1.allowed(t, ma, mi, acc) != want) {
                            INFO("config " << n << ": " << t << " " << ma << ":" << mi << " " << acc
                                           << " " << why);
                            CHECK(got == int(want));
                            CHECK(v1.allowed(t, ma, mi, acc) == want);
                            return;
                        }
                    }
        ++checked;
    }
    CHECK(checked > 2000);
    CHECK(refused > 0);
}
