// state, list, features: verbs that only read.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "common/log.hpp"
#include "runtime/features.hpp"
#include "runtime/lifecycle.hpp"

namespace corral::cli {

void register_state(CLI::App& app, Globals& g) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("state", "print the state of a container as JSON");
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([id, &g] {
        setup_log(g);
        check_id(*id);
        auto r = runtime::state_json(runtime::StateStore(state_root(g)), *id);
        check(r);
        std::cout << nlohmann::json::parse(*r).dump(2) << "\n";
    });
}

void register_list(CLI::App& app, Globals& g) {
    struct Flags {
        std::string format = "table";
        bool quiet = false;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("list", "list containers");
    cmd->add_option("-f,--format", f->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_flag("-q,--quiet", f->quiet, "print only the ids");
    cmd->callback([f, &g] {
        setup_log(g);
        auto listed = runtime::list_containers(runtime::StateStore(state_root(g)));
        check(listed);
        const auto& entries = *listed;
        if (f->quiet) {
            for (const auto& e : entries)
                std::cout << e.state.id << "\n";
            return;
        }
        if (f->format == "json") {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& e : entries)
                arr.push_back(
                    nlohmann::json::parse(runtime::oci_state_json(e.state, e.status, true)));
            std::cout << arr.dump() << "\n";
            return;
        }
        std::printf("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                    "OWNER");
        for (const auto& e : entries) {
            int pid = e.status == runtime::ContainerStatus::Stopped ? 0 : e.state.pid;
            std::printf("%-20s %-8d %-10s %-40s %-31s %s\n", e.state.id.c_str(), pid,
                        runtime::status_name(e.status), e.state.bundle.c_str(),
                        e.state.created.c_str(), std::to_string(e.state.owner).c_str());
        }
    });
}

void register_features(CLI::App& app, Globals&) {
    auto* cmd = app.add_subcommand("features", "print the features this runtime supports");
    cmd->callback([] { std::cout << runtime::features_json() << "\n"; });
}

} // namespace corral::cli
