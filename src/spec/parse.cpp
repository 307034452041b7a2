#include "spec/parse.hpp"

#include "common/files.hpp"

#include "common/unique_fd.hpp"
#include "spec/parse_detail.hpp"

#include <cerrno>
#include <cmath>
#include <exception>
#include <fcntl.h>
#include <limits>
#include <type_traits>
#include <unistd.h>
#include <utility>

namespace corral::spec {
namespace detail {

std::string child_path(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
}

std::string index_path(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string key_path(const std::string& path, const std::string& key) {
    return path + "[" + json(key).dump(-1, ' ', false, json::error_handler_t::replace) + "]";
}

namespace {

// nlohmann calls every number "number"; integer vs float is what a user
// needs to see when a field wants a whole number.
const char* kind(const json& v) {
    switch (v.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "boolean";
    case json::value_t::string:
        return "string";
    case json::value_t::array:
        return "array";
    case json::value_t::object:
        return "object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "integer";
    case json::value_t::number_float:
        return "float";
    default:
        return "unsupported value";
    }
}

Error range_error(const std::string& path, const std::string& value, const char* type_name) {
    return plain_error(kOp, path + ": value " + value + " out of range for " + type_name);
}

template <typename Int>
Status read_integer(const json& v, const std::string& path, Int& out, const char* type_name) {
    using limits = std::numeric_limits<Int>;
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (std::cmp_greater(u, limits::max()))
            return range_error(path, std::to_string(u), type_name);
        out = static_cast<Int>(u);
        return {};
    }
    if (v.is_number_integer()) {
        auto s = v.get<int64_t>();
        if (std::cmp_less(s, limits::min()) || std::cmp_greater(s, limits::max()))
            return range_error(path, std::to_string(s), type_name);
        out = static_cast<Int>(s);
        return {};
    }
    // nlohmann stores integers beyond 64 bits as floats; those are range
    // errors to the user, not type errors.
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) >= 9.2e18)
            return range_error(path, v.dump(), type_name);
    }
    return type_error(path, std::is_unsigned_v<Int> ? "unsigned integer" : "integer", v);
}

std::string lowercase(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

} // namespace

Error type_error(const std::string& path, const char* expected, const json& v) {
    std::string what = std::string("expected ") + expected + ", got " + kind(v);
    return plain_error(kOp, path.empty() ? what : path + ": " + what);
}

Status expect_object(const json& v, const std::string& path) {
    if (!v.is_object()) return type_error(path, "object", v);
    return {};
}

Status read(const json& v, const std::string& path, std::string& out) {
    if (!v.is_string()) return type_error(path, "string", v);
    out = v.get<std::string>();
    return {};
}

Status read(const json& v, const std::string& path, bool& out) {
    if (!v.is_boolean()) return type_error(path, "boolean", v);
    out = v.get<bool>();
    return {};
}

Status read(const json& v, const std::string& path, uint16_t& out) {
    return read_integer(v, path, out, "uint16");
}
Status read(const json& v, const std::string& path, uint32_t& out) {
    return read_integer(v, path, out, "uint32");
}
Status read(const json& v, const std::string& path, int32_t& out) {
    return read_integer(v, path, out, "int32");
}
Status read(const json& v, const std::string& path, uint64_t& out) {
    return read_integer(v, path, out, "uint64");
}
Status read(const json& v, const std::string& path, int64_t& out) {
    return read_integer(v, path, out, "int64");
}

Status read(const json& v, const std::string& p, User& out) {
    return Fields(v, p)("uid", out.uid)("gid", out.gid)("umask", out.umask)(
               "additionalGids", out.additional_gids)("username", out.username)
        .status();
}

Status read(const json& v, const std::string& p, Capabilities& out) {
    return Fields(v, p)("bounding", out.bounding)("effective", out.effective)(
               "inheritable", out.inheritable)("permitted", out.permitted)("ambient", out.ambient)
        .status();
}

Status read(const json& v, const std::string& p, Rlimit& out) {
    return Fields(v, p)("type", out.type)("hard", out.hard)("soft", out.soft).status();
}

Status read(const json& v, const std::string& p, Scheduler& out) {
    Fields f(v, p);
    f("policy", out.policy)("nice", out.nice)("priority", out.priority)("flags", out.flags);
    f("runtime", out.runtime)("deadline", out.deadline)("period", out.period);
    return f.status();
}

Status read(const json& v, const std::string& p, IoPriority& out) {
    return Fields(v, p)("class", out.io_class)("priority", out.priority).status();
}

Status read(const json& v, const std::string& p, CpuAffinity& out) {
    return Fields(v, p)("initial", out.initial)("final", out.final).status();
}

Status read(const json& v, const std::string& p, ConsoleSize& out) {
    return Fields(v, p)("height", out.height)("width", out.width).status();
}

Status read(const json& v, const std::string& p, Process& out) {
    Fields f(v, p);
    f("terminal", out.terminal)("consoleSize", out.console_size)("user", out.user);
    f("args", out.args)("commandLine", out.command_line)("env", out.env)("cwd", out.cwd);
    f("capabilities", out.capabilities)("rlimits", out.rlimits);
    f("noNewPrivileges", out.no_new_privileges)("apparmorProfile", out.apparmor_profile);
    f("oomScoreAdj", out.oom_score_adj)("scheduler", out.scheduler);
    f("selinuxLabel", out.selinux_label)("ioPriority", out.io_priority);
    f("execCPUAffinity", out.exec_cpu_affinity);
    return f.status();
}

Status read(const json& v, const std::string& p, Root& out) {
    return Fields(v, p)("path", out.path)("readonly", out.readonly).status();
}

Status read(const json& v, const std::string& p, IdMapping& out) {
    return Fields(v, p)("containerID", out.container_id)("hostID", out.host_id)("size", out.size)
        .status();
}

Status read(const json& v, const std::string& p, Mount& out) {
    Fields f(v, p);
    f("destination", out.destination)("source", out.source)("type", out.type);
    f("options", out.options)("uidMappings", out.uid_mappings)("gidMappings", out.gid_mappings);
    return f.status();
}

Status read(const json& v, const std::string& p, Hook& out) {
    return Fields(v, p)("path", out.path)("args", out.args)("env", out.env)("timeout", out.timeout)
        .status();
}

Status read(const json& v, const std::string& p, Hooks& out) {
    Fields f(v, p);
    f("prestart", out.prestart)("createRuntime", out.create_runtime);
    f("createContainer", out.create_container)("startContainer", out.start_container);
    f("poststart", out.poststart)("poststop", out.poststop);
    return f.status();
}

namespace {

Status read_spec(const json& doc, Spec& out) {
    Fields f(doc, "");
    f("ociVersion", out.oci_version)("process", out.process)("root", out.root);
    f("hostname", out.hostname)("domainname", out.domainname)("mounts", out.mounts);
    f("hooks", out.hooks)("annotations", out.annotations)("linux", out.linux);
    return f.status();
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] ";
// the id helps nobody reading a config error.
std::string describe_parse_error(const std::string& what) {
    std::string msg = what;
    if (msg.rfind("[json.exception.", 0) == 0) {
        auto end = msg.find("] ");
        if (end != std::string::npos) msg.erase(0, end + 2);
    }
    return lowercase(msg);
}

} // namespace
} // namespace detail

Result<Spec> parse_config(std::string_view json_text) {
    using detail::json;
    try {
        json doc = json::parse(json_text.begin(), json_text.end());
        Spec spec;
        CORRAL_TRY(detail::read_spec(doc, spec));
        return spec;
    } catch (const json::exception& e) {
        return plain_error(detail::kOp, "invalid json: " + detail::describe_parse_error(e.what()));
    } catch (const std::exception& e) {
        // Out of memory on a huge document, most likely: still an Error, not
        // an exception escaping into a caller that does not expect one.
        return plain_error(detail::kOp, std::string("cannot parse: ") + e.what());
    }
}

Result<Resources> parse_resources(std::string_view json_text) {
    using detail::json;
    try {
        json doc = json::parse(json_text.begin(), json_text.end());
        Resources r;
        auto st = detail::read(doc, "", r);
        if (!st) return Error{0, "resources:", st.error().detail};
        return r;
    } catch (const json::exception& e) {
        return plain_error("resources:", "invalid json: " + detail::describe_parse_error(e.what()));
    } catch (const std::exception& e) {
        return plain_error("resources:", std::string("cannot parse: ") + e.what());
    }
}

Result<Process> parse_process(std::string_view json_text) {
    using detail::json;
    try {
        json doc = json::parse(json_text.begin(), json_text.end());
        Process p;
        auto st = detail::read(doc, "", p);
        if (!st) return Error{0, "process:", st.error().detail};
        return p;
    } catch (const json::exception& e) {
        return plain_error("process:", "invalid json: " + detail::describe_parse_error(e.what()));
    } catch (const std::exception& e) {
        return plain_error("process:", std::string("cannot parse: ") + e.what());
    }
}

Result<Spec> load_config(const std::string& bundle_dir) {
    std::string path = bundle_dir.empty()         ? std::string("config.json")
                       : bundle_dir.back() == '/' ? bundle_dir + "config.json"
                                                  : bundle_dir + "/config.json";
    auto text = read_file(path);
    if (!text) return text.error();
    return parse_config(*text);
}

} // namespace corral::spec
