#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

#include "cli.hpp"
#include "common/syscalls.hpp"
#include "seccomp/default_profile.hpp"
#include "spec/defaults.hpp"

#include <nlohmann/json.hpp>

namespace corral::cli {

void register_spec(CLI::App& app, Globals&) {
    struct Flags {
        std::string bundle = ".";
        bool rootless = false;
        bool seccomp = false;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("spec", "write a default config.json into a bundle");
    cmd->add_option("-b,--bundle", f->bundle, "bundle directory (default: current directory)");
    cmd->add_flag("--rootless", f->rootless, "a config for an unprivileged user");
    cmd->add_flag("--seccomp", f->seccomp, "embed the default seccomp profile");
    cmd->callback([f] {
        std::string path = f->bundle + "/config.json";
        std::string text = spec::default_config_json(f->rootless);
        if (f->seccomp) {
            auto profile = seccomp::default_seccomp_json();
            check(profile);
            auto doc = nlohmann::ordered_json::parse(text);
            doc["linux"]["seccomp"] = nlohmann::ordered_json::parse(*profile);
            text = doc.dump(2) + "\n";
        }
        // O_EXCL: an existing config is never overwritten.
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST) throw CliError{"spec: " + path + " already exists"};
            check(Result<void>(sys_error("create", path)));
        }
        int rc = sys::write_all(fd, text.data(), text.size());
        ::close(fd);
        if (rc < 0) check(Result<void>(sys_error("write", path)));
    });
}

} // namespace corral::cli
