// Devices present in the container's /dev, sysctls, rlimits and oom_score_adj
// against the config.
#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <set>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/context.hpp"
#include "common/files.hpp"
#include "common/syscalls.hpp"
#include "ns/paths.hpp"

namespace corral::audit {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s;
}

void check_devices(const Context& c, Report& r) {
    Check d{"misc.devices", "misc", Kind::Conformance, Level::Error};
    int dev = ns::open_in_root(c.root.get(), "/dev", O_RDONLY | O_DIRECTORY);
    if (dev < 0) {
        r.skip(d, "the container's /dev cannot be read");
        return;
    }
    std::set<std::string> allowed = {"/dev/null",    "/dev/zero", "/dev/full",    "/dev/random",
                                     "/dev/urandom", "/dev/tty",  "/dev/console", "/dev/ptmx"};
    for (const auto& x : c.config->linux->devices)
        allowed.insert(x.path);
    std::vector<std::string> extra;
    DIR* dir = fdopendir(dev);
    while (dirent* e = dir ? readdir(dir) : nullptr) {
        struct stat st {};
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
        std::string p = std::string("/dev/") + e->d_name;
        if (!allowed.count(p)) extra.push_back(p);
    }
    if (dir) closedir(dir);
    d.expected = "the default devices and linux.devices";
    d.observed = extra.empty() ? "nothing else" : "also " + join(extra);
    d.explanation = extra.empty() ? "as configured" : "device nodes the config does not grant";
    r.add(d, extra.empty());
}

// A sysctl's value as the container sees it: /proc/sys/net and the ipc/uts
// keys answer for the reader's own namespaces, so a child joins the
// container's (through its pidfd) and reads them there.
std::map<std::string, std::string> read_sysctls(const Context& c,
                                                const std::map<std::string, std::string>& keys) {
    std::map<std::string, std::string> out;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) return out;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        if (setns(c.pidfd, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0) {
            // Some of them are the host's: join the others one by one.
            for (int f : {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS})
                setns(c.pidfd, f);
        }
        std::string text;
        for (const auto& [k, v] : keys) {
            std::string key = k;
            for (auto& ch : key)
                if (ch == '.') ch = '/';
            std::string path = "/proc/sys/" + key;
            auto val = read_file(path);
            std::string s = val ? *val : "";
            while (!s.empty() && s.back() == '\n')
                s.pop_back();
            text += k + "\t" + s + "\n";
        }
        sys::write_all(pipefd[1], text.data(), text.size());
        _exit(0);
    }
    close(pipefd[1]);
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = sys::read_retry(pipefd[0], buf, sizeof buf)) > 0)
        all.append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
    if (pid > 0) waitpid(pid, nullptr, 0);
    size_t pos = 0;
    while (pos < all.size()) {
        size_t nl = all.find('\n', pos), tab = all.find('\t', pos);
        if (nl == std::string::npos || tab > nl) break;
        out[all.substr(pos, tab - pos)] = all.substr(tab + 1, nl - tab - 1);
        pos = nl + 1;
    }
    return out;
}

// Kernel values use tabs or spaces between fields; compare word by word.
std::string words(const std::string& s) {
    std::string out, w;
    for (char ch : s + " ") {
        if (ch == ' ' || ch == '\t' || ch == '\n') {
            if (!w.empty()) out += (out.empty() ? "" : " ") + w;
            w.clear();
        } else {
            w += ch;
        }
    }
    return out;
}

void check_sysctls(const Context& c, Report& r) {
    const auto& want = c.config->linux->sysctl;
    if (want.empty()) return;
    Check s{"misc.sysctls", "misc", Kind::Conformance, Level::Error};
    auto got = read_sysctls(c, want);
    std::vector<std::string> bad;
    for (const auto& [k, v] : want) {
        auto it = got.find(k);
        std::string have = it == got.end() ? "unreadable" : it->second;
        if (words(have) != words(v)) bad.push_back(k + "=" + have + " (want " + v + ")");
    }
    s.expected = std::to_string(want.size()) + " sysctls as configured";
    s.observed = bad.empty() ? "all as configured" : join(bad);
    s.explanation = bad.empty() ? "as configured" : "the kernel has other values";
    r.add(s, bad.empty());
}

std::string limit_text(uint64_t v) {
    return v == ~0ULL ? "unlimited" : std::to_string(v);
}

void check_process(const Context& c, Report& r) {
    const auto& p = *c.config->process;
    if (!p.rlimits.empty()) {
        Check l{"misc.rlimits", "misc", Kind::Conformance, Level::Error};
        std::vector<std::string> bad;
        for (const auto& rl : p.rlimits) {
            auto it = c.init.limits.find(rl.type);
            std::string soft = limit_text(rl.soft), hard = limit_text(rl.hard);
            if (it == c.init.limits.end())
                bad.push_back(rl.type + " unreadable");
            else if (it->second.soft != soft || it->second.hard != hard)
                bad.push_back(rl.type + " " + it->second.soft + "/" + it->second.hard + " (want " +
                              soft + "/" + hard + ")");
        }
        l.expected = std::to_string(p.rlimits.size()) + " rlimits as configured";
        l.observed = bad.empty() ? "all as configured" : join(bad);
        l.explanation = bad.empty() ? "as configured" : "PID 1 runs with other limits";
        r.add(l, bad.empty());
    }
    if (p.oom_score_adj) {
        Check o{"misc.oom-score-adj", "misc", Kind::Conformance, Level::Warning};
        o.expected = std::to_string(*p.oom_score_adj);
        o.observed = c.init.oom_score_adj ? std::to_string(*c.init.oom_score_adj) : "unreadable";
        bool ok = c.init.oom_score_adj == p.oom_score_adj;
        o.explanation = ok ? "as configured" : "PID 1 has another oom_score_adj";
        r.add(o, ok);
    }
}

} // namespace

void check_misc(const Context& c, Report& r) {
    if (!c.has_config()) return;
    if (c.config->linux) {
        check_devices(c, r);
        check_sysctls(c, r);
    }
    if (c.config->process) check_process(c, r);
}

} // namespace corral::audit
