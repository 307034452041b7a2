#include "spec/validate.hpp"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/stat.h>

namespace corral::spec {
namespace {

// Same prefix as the parser's errors: both are problems the user fixes in
// config.json.
constexpr const char* kOp = "config.json:";

// setresuid()/setresgid()/chown() read (uint32_t)-1 as "leave unchanged", so
// this value would silently keep the runtime's own id.
constexpr uint32_t kUnchangedId = 4294967295u;

Error invalid(const std::string& field, const std::string& what) {
    return plain_error(kOp, field + ": " + what);
}

// Values echoed in messages may hold control characters or bad UTF-8;
// JSON string quoting makes them visible and keeps the message one line.
std::string quote(std::string_view s) {
    using nlohmann::json;
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string at(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

bool absolute(const std::string& p) {
    return !p.empty() && p[0] == '/';
}

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

template <std::size_t N> bool one_of(const std::string& s, const char* const (&names)[N]) {
    return std::find(std::begin(names), std::end(names), s) != std::end(names);
}

Status require_absolute(const std::string& field, const std::string& value) {
    if (!absolute(value)) return invalid(field, "must be an absolute path, got " + quote(value));
    return {};
}

Status require_id(const std::string& field, uint32_t id) {
    if (id == kUnchangedId) return invalid(field, "4294967295 is not a valid id");
    return {};
}

bool has_namespace(const Spec& spec, const char* type) {
    return spec.linux && spec.linux->find_namespace(type) != nullptr;
}

Status check_version(const Spec& spec) {
    const auto& v = spec.oci_version;
    if (v.empty()) return invalid("ociVersion", "missing");
    if (!(v.size() > 2 && v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '9'))
        return invalid("ociVersion", quote(v) + " is not supported, need 1.x");
    return {};
}

Status check_root(const Spec& spec, const std::string& bundle_dir) {
    const auto& p = spec.root.path;
    if (p.empty()) return invalid("root.path", "missing");
    std::string full = p;
    if (!absolute(p) && !bundle_dir.empty())
        full = bundle_dir + (bundle_dir.back() == '/' ? "" : "/") + p;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) return sys_error(kOp, "root.path: " + full);
    if (!S_ISDIR(st.st_mode)) return invalid("root.path", full + " is not a directory");
    return {};
}

Status check_user(const User& user) {
    CORRAL_TRY(require_id("process.user.uid", user.uid));
    CORRAL_TRY(require_id("process.user.gid", user.gid));
    for (std::size_t i = 0; i < user.additional_gids.size(); ++i)
        CORRAL_TRY(require_id(at("process.user.additionalGids", i), user.additional_gids[i]));
    return {};
}

Status check_rlimits(const std::vector<Rlimit>& rlimits) {
    static const char* const known[] = {
        "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
        "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
        "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
    std::set<std::string> seen;
    for (std::size_t i = 0; i < rlimits.size(); ++i) {
        const auto& r = rlimits[i];
        std::string path = at("process.rlimits", i);
        if (!one_of(r.type, known))
            return invalid(path + ".type", "unknown rlimit " + quote(r.type));
        if (!seen.insert(r.type).second)
            return invalid(path + ".type", "duplicate rlimit " + quote(r.type));
        if (r.soft > r.hard)
            return invalid(path, "soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
                                     std::to_string(r.hard));
    }
    return {};
}

Status check_scheduler(const Scheduler& s) {
    static const char* const policies[] = {"SCHED_OTHER",   "SCHED_FIFO", "SCHED_RR",
                                           "SCHED_BATCH",   "SCHED_ISO",  "SCHED_IDLE",
                                           "SCHED_DEADLINE"};
    static const char* const flags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                        "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                        "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                        "SCHED_FLAG_UTIL_CLAMP_MAX"};
    const std::string path = "process.scheduler";
    if (s.policy.empty()) return invalid(path + ".policy", "missing");
    if (!one_of(s.policy, policies))
        return invalid(path + ".policy", "unknown policy " + quote(s.policy));
    for (std::size_t i = 0; i < s.flags.size(); ++i)
        if (!one_of(s.flags[i], flags))
            return invalid(at(path + ".flags", i), "unknown flag " + quote(s.flags[i]));
    if (s.nice && (*s.nice < -20 || *s.nice > 19))
        return invalid(path + ".nice", std::to_string(*s.nice) + " is outside -20..19");
    // The kernel takes a priority only for the real-time policies and wants
    // 0 for the others; catching it here beats an EINVAL inside the child.
    if (s.priority) {
        bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
        if (realtime && (*s.priority < 1 || *s.priority > 99))
            return invalid(path + ".priority",
                           std::to_string(*s.priority) + " is outside 1..99 for " + s.policy);
        if (!realtime && *s.priority != 0)
            return invalid(path + ".priority", "must be 0 for " + s.policy);
    }
    return {};
}

Status check_io_priority(const IoPriority& io) {
    static const char* const classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                          "IOPRIO_CLASS_IDLE"};
    if (!one_of(io.io_class, classes))
        return invalid("process.ioPriority.class", "unknown class " + quote(io.io_class));
    if (io.priority < 0 || io.priority > 7)
        return invalid("process.ioPriority.priority",
                       std::to_string(io.priority) + " is outside 0..7");
    return {};
}

Status check_process(const Spec& spec) {
    if (!spec.process) return invalid("process", "missing");
    return validate_process(*spec.process);
}

Status check_namespaces(const Linux& lx) {
    static const char* const known[] = {"pid", "network", "mount",  "ipc",
                                        "uts", "user",    "cgroup", "time"};
    std::set<std::string> seen;
    for (std::size_t i = 0; i < lx.namespaces.size(); ++i) {
        const auto& ns = lx.namespaces[i];
        std::string path = at("linux.namespaces", i);
        if (!one_of(ns.type, known))
            return invalid(path + ".type", "unknown namespace type " + quote(ns.type));
        if (!seen.insert(ns.type).second)
            return invalid(path + ".type", "duplicate namespace " + quote(ns.type));
        if (!ns.path.empty()) CORRAL_TRY(require_absolute(path + ".path", ns.path));
    }
    return {};
}

Status check_mappings(const std::string& path, const std::vector<IdMapping>& maps) {
    // The kernel takes at most 340 lines and refuses overlapping ranges on
    // either side; said here by index rather than as EINVAL from uid_map.
    if (maps.size() > 340) return invalid(path, "more than 340 ranges");
    auto overlap = [](uint64_t a, uint64_t b, uint64_t size_a, uint64_t size_b) {
        return a < b + size_b && b < a + size_a;
    };
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const auto& m = maps[i];
        if (m.size == 0) return invalid(at(path, i) + ".size", "must be greater than zero");
        if (uint64_t{m.container_id} + m.size > (uint64_t{1} << 32) ||
            uint64_t{m.host_id} + m.size > (uint64_t{1} << 32))
            return invalid(at(path, i), "range goes past 4294967295");
        for (std::size_t k = 0; k < i; ++k) {
            if (overlap(m.container_id, maps[k].container_id, m.size, maps[k].size))
                return invalid(at(path, i), "container ids overlap " + at(path, k));
            if (overlap(m.host_id, maps[k].host_id, m.size, maps[k].size))
                return invalid(at(path, i), "host ids overlap " + at(path, k));
        }
    }
    return {};
}

bool mapped(const std::vector<IdMapping>& maps, uint32_t id) {
    for (const auto& m : maps)
        if (id >= m.container_id && uint64_t{id} < uint64_t{m.container_id} + m.size) return true;
    return false;
}

Status check_user_namespace(const Spec& spec) {
    static const Linux empty;
    const Linux& lx = spec.linux ? *spec.linux : empty;
    CORRAL_TRY(check_mappings("linux.uidMappings", lx.uid_mappings));
    CORRAL_TRY(check_mappings("linux.gidMappings", lx.gid_mappings));
    const Namespace* user = lx.find_namespace("user");
    if (!user) {
        if (!lx.uid_mappings.empty())
            return invalid("linux.uidMappings", "set but there is no user namespace");
        if (!lx.gid_mappings.empty())
            return invalid("linux.gidMappings", "set but there is no user namespace");
        return {};
    }
    // A joined user namespace already has its maps; only a new one needs them.
    if (user->path.empty()) {
        if (lx.uid_mappings.empty())
            return invalid("linux.uidMappings", "required by a new user namespace");
        if (lx.gid_mappings.empty())
            return invalid("linux.gidMappings", "required by a new user namespace");
        // The process's ids are ids of the new namespace: unmapped, setuid
        // would fail deep inside the init.
        if (spec.process) {
            const auto& u = spec.process->user;
            if (!mapped(lx.uid_mappings, u.uid))
                return invalid("process.user.uid",
                               std::to_string(u.uid) + " is not in linux.uidMappings");
            if (!mapped(lx.gid_mappings, u.gid))
                return invalid("process.user.gid",
                               std::to_string(u.gid) + " is not in linux.gidMappings");
            for (auto g : u.additional_gids)
                if (!mapped(lx.gid_mappings, g))
                    return invalid("process.user.additionalGids",
                                   std::to_string(g) + " is not in linux.gidMappings");
        }
    }
    return {};
}

Status check_uts(const Spec& spec) {
    // As runc: a uts entry is enough, whether new or joined by path.
    if (!spec.hostname.empty() && !has_namespace(spec, "uts"))
        return invalid("hostname", "needs a uts namespace");
    if (!spec.domainname.empty() && !has_namespace(spec, "uts"))
        return invalid("domainname", "needs a uts namespace");
    return {};
}

// Only sysctls that belong to a namespace the container owns may be set;
// anything else would change the host for every container.
Status check_sysctl(const Spec& spec) {
    if (!spec.linux) return {};
    for (const auto& [key, value] : spec.linux->sysctl) {
        std::string k = key;
        std::replace(k.begin(), k.end(), '/', '.'); // "net/ipv4/..." is accepted too
        const char* needs = nullptr;
        if (starts_with(k, "net."))
            needs = "network";
        else if (starts_with(k, "kernel.msg") || k == "kernel.sem" ||
                 starts_with(k, "kernel.shm") || starts_with(k, "fs.mqueue."))
            needs = "ipc";
        else if (k == "kernel.hostname" || k == "kernel.domainname")
            needs = "uts";
        else
            return invalid("linux.sysctl", quote(key) + " is not namespaced, refused");
        if (!has_namespace(spec, needs))
            return invalid("linux.sysctl", quote(key) + " needs a " + needs + " namespace");
    }
    return {};
}

Status check_time_offsets(const Spec& spec) {
    if (!spec.linux || spec.linux->time_offsets.empty()) return {};
    if (!has_namespace(spec, "time")) return invalid("linux.timeOffsets", "needs a time namespace");
    for (const auto& [clock, off] : spec.linux->time_offsets) {
        if (clock != "monotonic" && clock != "boottime")
            return invalid("linux.timeOffsets", "unknown clock " + quote(clock));
        if (off.nanosecs >= 1000000000u)
            return invalid("linux.timeOffsets." + clock + ".nanosecs", "must be below 1000000000");
    }
    return {};
}

// runtime-spec 1.2: idmap/ridmap ask for an id-mapped mount; the mount's own
// maps are the mapping, else the container's user namespace gives it (an
// error without one). Maps without either option still mean idmap: the
// options are only a SHOULD, and 1.1 configs had the fields alone.
// MOUNT_ATTR_IDMAP applies to an existing mount, so only binds can have it.
Status check_idmapped_mount(const Spec& spec, const Mount& m, const std::string& path) {
    auto has = [&m](const char* o) {
        return std::find(m.options.begin(), m.options.end(), o) != m.options.end();
    };
    bool option = has("idmap") || has("ridmap");
    bool maps = !m.uid_mappings.empty() || !m.gid_mappings.empty();
    if (!option && !maps) return {};
    if (m.type != "bind" && !has("bind") && !has("rbind"))
        return invalid(path, "id-mapped mounts are only supported for bind mounts");
    if (!maps && !has_namespace(spec, "user"))
        return invalid(path, "idmap without uidMappings and gidMappings needs a user namespace");
    return {};
}

Status check_mounts(const Spec& spec) {
    for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
        const auto& m = spec.mounts[i];
        std::string path = at("mounts", i);
        CORRAL_TRY(require_absolute(path + ".destination", m.destination));
        // An idmapped mount takes both maps in one mount_setattr() call.
        if (m.uid_mappings.empty() != m.gid_mappings.empty())
            return invalid(path, "uidMappings and gidMappings must be given together");
        CORRAL_TRY(check_mappings(path + ".uidMappings", m.uid_mappings));
        CORRAL_TRY(check_mappings(path + ".gidMappings", m.gid_mappings));
        CORRAL_TRY(check_idmapped_mount(spec, m, path));
    }
    return {};
}

Status check_devices(const Linux& lx) {
    for (std::size_t i = 0; i < lx.devices.size(); ++i) {
        const auto& d = lx.devices[i];
        std::string path = at("linux.devices", i);
        CORRAL_TRY(require_absolute(path + ".path", d.path));
        if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
            return invalid(path + ".type",
                           "unknown device type " + quote(d.type) + ", need c, b, u or p");
        if (d.uid) CORRAL_TRY(require_id(path + ".uid", *d.uid));
        if (d.gid) CORRAL_TRY(require_id(path + ".gid", *d.gid));
    }
    if (!lx.resources) return {};
    const auto& rules = lx.resources->devices;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto& r = rules[i];
        std::string path = at("linux.resources.devices", i);
        if (!r.type.empty() && r.type != "a" && r.type != "b" && r.type != "c")
            return invalid(path + ".type",
                           "unknown device type " + quote(r.type) + ", need a, b or c");
        if (r.access.find_first_not_of("rwm") != std::string::npos)
            return invalid(path + ".access", quote(r.access) + " is not a subset of \"rwm\"");
    }
    return {};
}

Status check_personality(const Personality& p) {
    if (p.domain != "LINUX" && p.domain != "LINUX32")
        return invalid("linux.personality.domain",
                       "unknown domain " + quote(p.domain) + ", need LINUX or LINUX32");
    return {};
}

Status check_hook_list(const std::string& name, const std::vector<Hook>& hooks) {
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        std::string path = at("hooks." + name, i);
        CORRAL_TRY(require_absolute(path + ".path", hooks[i].path));
        if (hooks[i].timeout && *hooks[i].timeout <= 0)
            return invalid(path + ".timeout", "must be greater than zero");
    }
    return {};
}

Status check_hooks(const Hooks& h) {
    CORRAL_TRY(check_hook_list("prestart", h.prestart));
    CORRAL_TRY(check_hook_list("createRuntime", h.create_runtime));
    CORRAL_TRY(check_hook_list("createContainer", h.create_container));
    CORRAL_TRY(check_hook_list("startContainer", h.start_container));
    CORRAL_TRY(check_hook_list("poststart", h.poststart));
    CORRAL_TRY(check_hook_list("poststop", h.poststop));
    return {};
}

} // namespace

Status validate_process(const Process& p) {
    if (p.args.empty()) return invalid("process.args", "must not be empty");
    CORRAL_TRY(require_absolute("process.cwd", p.cwd));
    CORRAL_TRY(check_user(p.user));
    CORRAL_TRY(check_rlimits(p.rlimits));
    if (p.scheduler) CORRAL_TRY(check_scheduler(*p.scheduler));
    if (p.io_priority) CORRAL_TRY(check_io_priority(*p.io_priority));
    return {};
}

Status validate_spec(const Spec& spec, const std::string& bundle_dir) {
    CORRAL_TRY(check_version(spec));
    CORRAL_TRY(check_root(spec, bundle_dir));
    CORRAL_TRY(check_process(spec));
    if (spec.linux) CORRAL_TRY(check_namespaces(*spec.linux));
    CORRAL_TRY(check_user_namespace(spec));
    CORRAL_TRY(check_uts(spec));
    CORRAL_TRY(check_sysctl(spec));
    CORRAL_TRY(check_time_offsets(spec));
    CORRAL_TRY(check_mounts(spec));
    if (spec.linux) CORRAL_TRY(check_devices(*spec.linux));
    if (spec.linux && spec.linux->personality)
        CORRAL_TRY(check_personality(*spec.linux->personality));
    if (spec.hooks) CORRAL_TRY(check_hooks(*spec.hooks));
    return {};
}

Status validate_container_id(std::string_view id) {
    const char* op = "container id:";
    if (id.empty()) return plain_error(op, "must not be empty");
    if (id.size() > 1024) return plain_error(op, "longer than 1024 characters");
    if (id == "." || id == "..") return plain_error(op, quote(id) + " is not allowed");
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '.' || c == '-';
        if (!ok) return plain_error(op, quote(id) + " may only hold A-Z a-z 0-9 _ + . -");
    }
    return {};
}

Result<uint32_t> parse_id_strict(std::string_view s) {
    const char* op = "id:";
    if (s.empty()) return plain_error(op, "empty");
    // Too long to echo safely: the message stays readable for any input.
    std::string shown = s.size() > 32 ? quote(s.substr(0, 32)) + "..." : quote(s);
    for (char c : s)
        if (c < '0' || c > '9') return plain_error(op, shown + " is not a decimal number");
    // "010" could be read as octal by someone else's tool; only one spelling
    // of each id is accepted.
    if (s.size() > 1 && s[0] == '0') return plain_error(op, shown + " has a leading zero");
    uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > UINT32_MAX) return plain_error(op, shown + " is out of range for uint32");
    }
    if (v == kUnchangedId)
        return plain_error(op, "4294967295 is reserved (setresuid reads it as \"unchanged\")");
    return static_cast<uint32_t>(v);
}

} // namespace corral::spec
