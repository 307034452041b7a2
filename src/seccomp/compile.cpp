#include "seccomp/compile.hpp"

#include "common/unique_fd.hpp"

#include <cerrno>
#include <cstdint>
#include <optional>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::seccomp {

namespace {

constexpr const char* kRoot = "linux.seccomp";

// The kernel refuses longer classic BPF programs (BPF_MAXINSNS).
constexpr std::size_t kMaxInstructions = 4096;

std::string at(const std::string& path) {
    return path + ":";
}

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

struct NamedValue {
    const char* name;
    uint32_t value;
};

// Names as the OCI runtime spec spells them. Newer architectures only exist
// in newer libseccomp headers, hence the guards.
constexpr NamedValue kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

// ERRNO and TRACE carry their value in the low 16 bits, added by parse_action.
constexpr NamedValue kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

constexpr NamedValue kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// Spelled out rather than taken from <linux/seccomp.h>: an older header
// would otherwise make a flag the running kernel supports unnameable.
constexpr NamedValue kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 1u << 0},
    {"SECCOMP_FILTER_FLAG_LOG", 1u << 1},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5},
};

template <std::size_t N>
std::optional<uint32_t> lookup(const NamedValue (&table)[N], const std::string& name) {
    for (const NamedValue& entry : table)
        if (name == entry.name) return entry.value;
    return std::nullopt;
}

// An action name and its errnoRet as one libseccomp action value. action_path
// and errno_path name the two JSON fields for errors and warnings.
Result<uint32_t> parse_action(const std::string& name, const std::optional<uint32_t>& errno_ret,
                              const std::string& action_path, const std::string& errno_path,
                              std::vector<std::string>* warnings) {
    if (name.empty()) return plain_error(at(action_path), "required");
    bool takes_value = name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE";
    // The value travels in the 16-bit SECCOMP_RET_DATA: a larger one would
    // be silently truncated into a different errno.
    if (errno_ret && takes_value && *errno_ret > 0xffff)
        return plain_error(at(errno_path),
                           "must be at most 65535, got " + std::to_string(*errno_ret));
    // EPERM when unset, as other runtimes do, for TRACE too (the tracer sees
    // it as the message value).
    uint32_t value = errno_ret.value_or(EPERM);
    auto action = lookup(kActions, name);
    if (!action) return plain_error(at(action_path), "unknown action " + quoted(name));
    if (errno_ret && !takes_value && warnings)
        warnings->push_back(errno_path + ": ignored for " + name);
    return takes_value ? *action | value : *action;
}

Result<std::vector<scmp_arg_cmp>> parse_args(const std::vector<spec::SeccompArg>& args,
                                             const std::string& rule_path) {
    std::vector<scmp_arg_cmp> out;
    for (std::size_t j = 0; j < args.size(); ++j) {
        const spec::SeccompArg& a = args[j];
        std::string path = rule_path + ".args[" + std::to_string(j) + "]";
        if (a.index > 5)
            return plain_error(at(path + ".index"),
                               "must be below 6, got " + std::to_string(a.index));
        auto op = lookup(kOps, a.op);
        if (!op) {
            if (a.op.empty()) return plain_error(at(path + ".op"), "required");
            return plain_error(at(path + ".op"), "unknown operator " + quoted(a.op));
        }
        // For MASKED_EQ, value is the mask and valueTwo the expected result,
        // which is also libseccomp's datum_a/datum_b order.
        out.push_back(scmp_arg_cmp{a.index, static_cast<scmp_compare>(*op), a.value, a.value_two});
    }
    return out;
}

bool has_repeated_index(const std::vector<scmp_arg_cmp>& conds) {
    for (std::size_t i = 0; i < conds.size(); ++i)
        for (std::size_t j = i + 1; j < conds.size(); ++j)
            if (conds[i].arg == conds[j].arg) return true;
    return false;
}

// Owns the libseccomp context so every return path releases it.
class FilterCtx {
public:
    explicit FilterCtx(uint32_t default_action)
        : ctx_(seccomp_init(default_action)) {}
    FilterCtx(const FilterCtx&) = delete;
    FilterCtx& operator=(const FilterCtx&) = delete;
    ~FilterCtx() {
        if (ctx_ != nullptr) seccomp_release(ctx_);
    }
    scmp_filter_ctx get() const { return ctx_; }

private:
    scmp_filter_ctx ctx_;
};

Status add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const std::string& name,
                const std::vector<scmp_arg_cmp>& conds, const std::string& rule_path) {
    auto fail = [&](int rc) {
        // libseccomp's EEXIST ("file exists") would puzzle a profile author.
        if (rc == -EEXIST)
            return plain_error(at(rule_path), "rule for " + quoted(name) +
                                                  " conflicts with an earlier rule with the same "
                                                  "arguments and another action");
        return Error{-rc, at(rule_path), "add rule for " + quoted(name)};
    };
    // libseccomp rejects two comparisons of one argument in a rule. Such a
    // rule becomes one rule per comparison, any of which matching applies
    // the action: the meaning runc and crun give these profiles.
    if (has_repeated_index(conds)) {
        for (const scmp_arg_cmp& c : conds) {
            int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
            if (rc < 0) return fail(rc);
        }
        return {};
    }
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned int>(conds.size()),
                                    conds.empty() ? nullptr : conds.data());
    if (rc < 0) return fail(rc);
    return {};
}

// seccomp_export_bpf only writes to an fd; a memfd holds any size without
// the deadlock a pipe would risk on a large program.
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
    UniqueFd fd(::memfd_create("corral-seccomp", MFD_CLOEXEC));
    if (!fd) return sys_error("memfd_create", "seccomp program");
    int rc = seccomp_export_bpf(ctx, fd.get());
    if (rc < 0) return Error{-rc, "export seccomp filter", ""};
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return sys_error("fstat", "seccomp program");
    auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0 || size % sizeof(sock_filter) != 0)
        return plain_error("export seccomp filter",
                           "unexpected program size " + std::to_string(size));
    std::vector<sock_filter> filter(size / sizeof(sock_filter));
    auto* bytes = reinterpret_cast<char*>(filter.data());
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd.get(), bytes + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error("read", "seccomp program");
        if (n == 0) return plain_error("read", "seccomp program: short read");
        done += static_cast<std::size_t>(n);
    }
    return filter;
}

} // namespace

Result<SeccompProgram> compile_seccomp(const spec::Seccomp& config,
                                       std::vector<std::string>* warnings) {
    const std::string root = kRoot;
    SeccompProgram program;

    auto default_action =
        parse_action(config.default_action, config.default_errno_ret, root + ".defaultAction",
                     root + ".defaultErrnoRet", warnings);
    if (!default_action) return default_action.error();
    // Every syscall, the runtime's own exec included, would wait for a
    // listener that is not connected yet.
    if (*default_action == SCMP_ACT_NOTIFY)
        return plain_error(at(root + ".defaultAction"),
                           "SCMP_ACT_NOTIFY cannot be the default action");

    for (std::size_t i = 0; i < config.flags.size(); ++i) {
        auto flag = lookup(kFlags, config.flags[i]);
        if (!flag)
            return plain_error(at(root + ".flags[" + std::to_string(i) + "]"),
                               "unknown flag " + quoted(config.flags[i]));
        program.flags |= *flag;
    }

    FilterCtx ctx(*default_action);
    if (ctx.get() == nullptr) return plain_error("create seccomp filter", "libseccomp refused");

    // The native architecture is always in the filter (seccomp_init adds
    // it): the container's own binaries run natively.
    for (std::size_t i = 0; i < config.architectures.size(); ++i) {
        std::string path = root + ".architectures[" + std::to_string(i) + "]";
        auto token = lookup(kArches, config.architectures[i]);
        if (!token)
            return plain_error(at(path), "unknown architecture " + quoted(config.architectures[i]));
        int rc = seccomp_arch_add(ctx.get(), *token);
        if (rc < 0 && rc != -EEXIST) return Error{-rc, at(path), "add architecture"};
    }

    for (std::size_t i = 0; i < config.syscalls.size(); ++i) {
        const spec::SeccompSyscall& rule = config.syscalls[i];
        std::string path = root + ".syscalls[" + std::to_string(i) + "]";
        auto action = parse_action(rule.action, rule.errno_ret, path + ".action",
                                   path + ".errnoRet", warnings);
        if (!action) return action.error();
        auto conds = parse_args(rule.args, path);
        if (!conds) return conds.error();
        if (*action == SCMP_ACT_NOTIFY) program.needs_notify_listener = true;
        // libseccomp refuses rules that repeat the default; they change
        // nothing, so skipping them keeps profiles portable across defaults.
        if (*action == *default_action) continue;
        for (std::size_t j = 0; j < rule.names.size(); ++j) {
            const std::string& name = rule.names[j];
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                if (warnings)
                    warnings->push_back(path + ".names[" + std::to_string(j) + "]: syscall " +
                                        quoted(name) + " unknown to libseccomp, skipped");
                continue;
            }
            CORRAL_TRY(add_rule(ctx.get(), *action, nr, name, *conds, path));
        }
    }

    if (program.needs_notify_listener && config.listener_path.empty())
        return plain_error(at(root + ".listenerPath"), "required when a rule uses SCMP_ACT_NOTIFY");

    auto filter = export_program(ctx.get());
    if (!filter) return filter.error();
    if (filter->size() > kMaxInstructions)
        return plain_error(at(root), "compiled filter has " + std::to_string(filter->size()) +
                                         " instructions, more than the kernel's limit of " +
                                         std::to_string(kMaxInstructions));
    program.filter = std::move(*filter);
    return program;
}

} // namespace corral::seccomp
