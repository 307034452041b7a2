#include "runtime/features.hpp"

#include <sys/capability.h>

#include <nlohmann/json.hpp>

#include "runtime/capabilities.hpp"

namespace corral::runtime {

std::string features_json() {
    using nlohmann::json;
    json caps = json::array();
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
        char* name = cap_to_name(c);
        if (!name) continue;
        std::string n = name;
        cap_free(name);
        for (auto& ch : n)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (n.rfind("CAP_", 0) == 0) caps.push_back(n);
    }
    json doc = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks",
         {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"}},
        {"mountOptions", {"async",       "atime",      "bind",     "defaults",   "dev",
                          "diratime",    "dirsync",    "exec",     "idmap",      "lazytime",
                          "loud",        "mand",       "noatime",  "nodev",      "nodiratime",
                          "noexec",      "nolazytime", "nomand",   "norelatime", "nostrictatime",
                          "nosuid",      "private",    "rbind",    "relatime",   "remount",
                          "ridmap",      "ro",         "rprivate", "rshared",    "rslave",
                          "runbindable", "rw",         "shared",   "silent",     "slave",
                          "strictatime", "suid",       "sync",     "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
          {"capabilities", caps},
          {"cgroup",
           {{"v1", true},
            {"v2", true},
            {"systemd", false},
            {"systemdUser", false},
            {"rdma", true}}},
          {"seccomp",
           {{"enabled", true},
            {"actions",
             {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
              "SCMP_ACT_NOTIFY", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
              "SCMP_ACT_TRAP"}},
            {"operators",
             {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
              "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
            {"archs", {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"}},
            {"knownFlags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
              "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
            {"supportedFlags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
              "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}}}},
          {"apparmor", {{"enabled", true}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", true}}}}}}},
        {"annotations", {{"org.opencontainers.runtime-spec.features", "corral"}}},
    };
    return doc.dump(4);
}

} // namespace corral::runtime
