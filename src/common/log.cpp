#include "common/log.hpp"

#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/files.hpp"
#include "common/syscalls.hpp"

namespace corral::log {

namespace {
int g_fd = -1;
bool g_json = false;
bool g_debug = false;

const char* level_name(Level l) {
    switch (l) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warn:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "info";
}

} // namespace

Status configure(const std::string& file, bool json, bool debug) {
    g_json = json;
    g_debug = debug;
    if (file.empty() || g_fd >= 0) return {};
    g_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_fd < 0) return sys_error("open log file", file);
    return {};
}

void write(Level level, const std::string& msg) {
    if (level == Level::Debug && !g_debug) return;
    if (level >= Level::Warn || (g_debug && g_fd < 0)) {
        std::string line = std::string("corral: ") + (level == Level::Warn ? "warning: " : "") +
                           (level == Level::Debug ? "debug: " : "") + msg + "\n";
        sys::write_all(2, line.data(), line.size());
    }
    if (g_fd < 0) return;
    std::string line;
    if (g_json) {
        line = nlohmann::json{{"level", level_name(level)}, {"msg", msg}, {"time", rfc3339_now()}}
                   .dump() +
               "\n";
    } else {
        line = rfc3339_now() + " " + level_name(level) + " " + msg + "\n";
    }
    sys::write_all(g_fd, line.data(), line.size());
}

} // namespace corral::log
