#include "cgroups/files.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::cgroups {

Status write_file(int dir, const std::string& name, const std::string& value) {
    UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open cgroup file", name);
    // One write(2): the kernel parses each write as a whole value.
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("write cgroup file", name + " \"" + value + "\"");
    return {};
}

Result<std::string> read_file(int dir, const std::string& name) {
    UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open cgroup file", name);
    std::string out;
    char buf[4096];
    while (true) {
        ssize_t n = sys::read_retry(fd.get(), buf, sizeof buf);
        if (n < 0) return sys_error("read cgroup file", name);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

bool file_exists(int dir, const std::string& name) {
    return ::faccessat(dir, name.c_str(), F_OK, 0) == 0;
}

Result<uint64_t> parse_value(const std::string& text) {
    std::string t = text;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
        t.pop_back();
    if (t == "max") return kMax;
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
        return plain_error("parse cgroup value", "\"" + t + "\"");
    errno = 0;
    unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
    if (errno == ERANGE) return plain_error("parse cgroup value", "\"" + t + "\" is out of range");
    return static_cast<uint64_t>(v);
}

std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text) {
    std::map<std::string, uint64_t> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        auto v = parse_value(line.substr(sp + 1));
        if (v) out[line.substr(0, sp)] = *v;
    }
    return out;
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

} // namespace corral::cgroups
