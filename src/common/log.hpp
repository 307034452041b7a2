// Parent-side logging. Lines go to the --log file (text, or JSON lines
// {"level","msg","time"} as runc writes them for conmon) and warnings and
// errors also to stderr. Never used on the child side of clone. Nothing is
// opened unless configured: start-up cost matters.
#pragma once

#include "common/result.hpp"

#include <string>

namespace corral::log {

enum class Level { Debug, Info, Warn, Error };

// Fails when the log file cannot be opened: a caller reading errors from it
// (conmon, the containerd shim) would otherwise find nothing there.
Status configure(const std::string& file, bool json, bool debug);
void write(Level level, const std::string& msg);
inline void debug(const std::string& m) {
    write(Level::Debug, m);
}
inline void info(const std::string& m) {
    write(Level::Info, m);
}
inline void warn(const std::string& m) {
    write(Level::Warn, m);
}
inline void error(const std::string& m) {
    write(Level::Error, m);
}

} // namespace corral::log
