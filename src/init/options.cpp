#include "init/options.hpp"

#include <cmath>
#include <cstdlib>

namespace corral::init {

namespace {

Result<bool> parse_bool(const std::string& name, const std::string& v) {
    if (v == "true") return true;
    if (v == "false") return false;
    return plain_error("annotations." + name + ":",
                       "expected \"true\" or \"false\", got \"" + v + "\"");
}

} // namespace

Result<long> parse_grace(const std::string& text) {
    auto bad = [&] {
        return plain_error(std::string("annotations.") + kGraceAnnotation + ":",
                           "\"" + text + "\" is not a duration (like 5s, 500ms or 10)");
    };
    if (text.empty() || text[0] == '-' || text[0] == '+' || std::isspace(text[0])) return bad();
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(v)) return bad();
    std::string unit(end);
    double ms;
    if (unit.empty() || unit == "s")
        ms = v * 1000;
    else if (unit == "ms")
        ms = v;
    else
        return bad();
    if (ms > 3600.0 * 1000)
        return plain_error(std::string("annotations.") + kGraceAnnotation + ":",
                           "\"" + text + "\" is longer than an hour");
    return static_cast<long>(std::llround(ms));
}

Result<Options> options_for(const spec::Spec& spec, bool init_flag) {
    Options o;
    o.enabled = init_flag;
    const auto& a = spec.annotations;
    if (auto it = a.find(kInitAnnotation); it != a.end()) {
        auto b = parse_bool(kInitAnnotation, it->second);
        if (!b) return b.error();
        o.enabled = o.enabled || *b;
    }
    if (auto it = a.find(kGraceAnnotation); it != a.end()) {
        auto g = parse_grace(it->second);
        if (!g) return g.error();
        o.grace_ms = *g;
    }
    if (auto it = a.find(kGroupAnnotation); it != a.end()) {
        auto b = parse_bool(kGroupAnnotation, it->second);
        if (!b) return b.error();
        o.signal_group = *b;
    }
    if (!o.enabled) return o;
    bool new_pid_ns = false;
    if (spec.linux)
        for (const auto& ns : spec.linux->namespaces)
            if (ns.type == "pid") new_pid_ns = ns.path.empty();
    if (!new_pid_ns)
        return plain_error("--init:",
                           "needs a new pid namespace (linux.namespaces with a \"pid\" "
                           "entry and no path): its PID 1 signals everything left in it");
    return o;
}

} // namespace corral::init
