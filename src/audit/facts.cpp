#include "audit/facts.hpp"

#include <cstdlib>
#include <dirent.h>
#include <sstream>
#include <sys/stat.h>

#include "common/files.hpp"

namespace corral::audit {

namespace {

uint64_t hex(std::string_view v) {
    return std::strtoull(std::string(v).c_str(), nullptr, 16);
}

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t\n");
    return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && s.size() - i >= 4 && s[i + 1] >= '0' && s[i + 1] <= '3') {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> w;
    std::istringstream in{std::string(line)};
    for (std::string s; in >> s;)
        w.push_back(s);
    return w;
}

} // namespace

StatusFacts parse_status(std::string_view text) {
    StatusFacts f;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        std::string val = trim(std::string_view(line).substr(colon + 1));
        if (key == "CapInh")
            f.cap_inh = hex(val);
        else if (key == "CapPrm")
            f.cap_prm = hex(val);
        else if (key == "CapEff")
            f.cap_eff = hex(val);
        else if (key == "CapBnd")
            f.cap_bnd = hex(val);
        else if (key == "CapAmb")
            f.cap_amb = hex(val);
        else if (key == "NoNewPrivs")
            f.no_new_privs = std::atoi(val.c_str());
        else if (key == "Seccomp")
            f.seccomp = std::atoi(val.c_str());
        else if (key == "Seccomp_filters")
            f.seccomp_filters = std::atoi(val.c_str());
        else if (key == "State")
            f.state = val;
        else if (key == "Uid" || key == "Gid") {
            auto w = words(val);
            unsigned long id = w.size() > 1 ? std::strtoul(w[1].c_str(), nullptr, 10) : 0;
            if (key == "Uid")
                f.euid = static_cast<uid_t>(id);
            else
                f.egid = static_cast<gid_t>(id);
        }
    }
    return f;
}

bool MountEntry::has_option(std::string_view o) const {
    size_t pos = 0;
    while (pos <= options.size()) {
        size_t end = options.find(',', pos);
        if (end == std::string::npos) end = options.size();
        if (std::string_view(options).substr(pos, end - pos) == o) return true;
        pos = end + 1;
    }
    return false;
}

std::string MountEntry::peer_group() const {
    for (const auto& o : optional)
        if (o.rfind("shared:", 0) == 0) return o.substr(7);
    return "";
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountEntry> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        auto w = words(line);
        // id parent maj:min root point options [optional...] - fstype source super
        size_t dash = 0;
        for (size_t i = 6; i < w.size(); ++i)
            if (w[i] == "-") {
                dash = i;
                break;
            }
        if (w.size() < 10 || dash == 0 || dash + 3 > w.size()) continue;
        MountEntry m;
        m.id = std::atoi(w[0].c_str());
        m.parent = std::atoi(w[1].c_str());
        std::sscanf(w[2].c_str(), "%u:%u", &m.major, &m.minor);
        m.root = unescape(w[3]);
        m.point = unescape(w[4]);
        m.options = w[5];
        m.optional.assign(w.begin() + 6, w.begin() + static_cast<long>(dash));
        m.fstype = w[dash + 1];
        m.source = unescape(w[dash + 2]);
        m.super_options = dash + 3 < w.size() ? w[dash + 3] : "";
        out.push_back(std::move(m));
    }
    return out;
}

std::map<std::string, Rlimit> parse_limits(std::string_view text) {
    static const std::pair<const char*, const char*> names[] = {
        {"Max cpu time", "RLIMIT_CPU"},
        {"Max file size", "RLIMIT_FSIZE"},
        {"Max data size", "RLIMIT_DATA"},
        {"Max stack size", "RLIMIT_STACK"},
        {"Max core file size", "RLIMIT_CORE"},
        {"Max resident set", "RLIMIT_RSS"},
        {"Max processes", "RLIMIT_NPROC"},
        {"Max open files", "RLIMIT_NOFILE"},
        {"Max locked memory", "RLIMIT_MEMLOCK"},
        {"Max address space", "RLIMIT_AS"},
        {"Max file locks", "RLIMIT_LOCKS"},
        {"Max pending signals", "RLIMIT_SIGPENDING"},
        {"Max msgqueue size", "RLIMIT_MSGQUEUE"},
        {"Max nice priority", "RLIMIT_NICE"},
        {"Max realtime priority", "RLIMIT_RTPRIO"},
        {"Max realtime timeout", "RLIMIT_RTTIME"},
    };
    std::map<std::string, Rlimit> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        for (const auto& [label, name] : names) {
            if (line.rfind(label, 0) != 0) continue;
            auto w = words(std::string_view(line).substr(std::string_view(label).size()));
            if (w.size() >= 2) out[name] = {w[0], w[1]};
        }
    }
    return out;
}

std::string normalise_map(std::string_view text) {
    std::string out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        auto w = words(line);
        if (w.empty()) continue;
        for (size_t i = 0; i < w.size(); ++i)
            out += (i ? " " : "") + w[i];
        out += "\n";
    }
    return out;
}

Namespaces read_namespaces(pid_t pid) {
    Namespaces ns;
    std::string base = "/proc/" + std::to_string(pid) + "/ns/";
    for (const char* t : kNamespaceTypes) {
        for (std::string name : {std::string(t), std::string(t) + "_for_children"}) {
            struct stat st {};
            if (stat((base + name).c_str(), &st) == 0)
                ns[name] = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
        }
    }
    return ns;
}

Result<ProcessFacts> read_process(pid_t pid) {
    ProcessFacts f;
    f.pid = pid;
    std::string base = "/proc/" + std::to_string(pid) + "/";
    auto status = read_file(base + "status");
    if (!status) return status.error();
    f.status = parse_status(*status);
    f.ns = read_namespaces(pid);
    if (auto t = read_file(base + "uid_map")) f.uid_map = normalise_map(*t);
    if (auto t = read_file(base + "gid_map")) f.gid_map = normalise_map(*t);
    if (auto t = read_file(base + "setgroups")) f.setgroups = trim(*t);
    if (auto t = read_file(base + "cgroup")) f.cgroup = *t;
    if (auto t = read_file(base + "oom_score_adj")) f.oom_score_adj = std::atoi(t->c_str());
    if (auto t = read_file(base + "limits")) f.limits = parse_limits(*t);
    auto mi = read_file(base + "mountinfo");
    if (!mi) return mi.error();
    f.mounts = parse_mountinfo(*mi);
    return f;
}

std::vector<pid_t> processes_in(const NsId& pidns) {
    std::vector<pid_t> out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long p = std::strtol(e->d_name, &end, 10);
        if (*end || p <= 0) continue;
        struct stat st {};
        std::string path = "/proc/" + std::string(e->d_name) + "/ns/pid";
        if (stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_ino) == pidns.ino &&
            static_cast<uint64_t>(st.st_dev) == pidns.dev)
            out.push_back(static_cast<pid_t>(p));
    }
    closedir(d);
    return out;
}

} // namespace corral::audit
