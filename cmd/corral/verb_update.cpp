// update: change a live container's limits, from a resources JSON (-r) and
// runc's flags, the flags winning.
#include <cctype>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "runtime/cgroup_ops.hpp"
#include "spec/parse.hpp"

namespace corral::cli {

namespace {

// "-1", "1024", "512k", "100M", "2g" (binary units, as docker and runc take).
int64_t parse_bytes(const std::string& flag, const std::string& s) {
    if (s == "-1") return -1;
    size_t pos = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(s, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    std::string unit = s.substr(pos);
    for (auto& c : unit)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    int shift = unit.empty()  ? 0
                : unit == "k" ? 10
                : unit == "m" ? 20
                : unit == "g" ? 30
                : unit == "t" ? 40
                              : -1;
    if (pos == 0 || s[0] == '-' || shift < 0 ||
        (shift && v > static_cast<unsigned long long>(INT64_MAX >> shift)))
        throw CliError{"update: " + flag + " \"" + s +
                       "\": expected bytes like 512k, 100m, 2g or -1"};
    return static_cast<int64_t>(v << shift);
}

template <typename T> T parse_number(const std::string& flag, const std::string& s) {
    try {
        size_t pos = 0;
        long long v = std::stoll(s, &pos);
        if (pos == s.size() && v >= static_cast<long long>(std::numeric_limits<T>::min()) &&
            static_cast<unsigned long long>(v) <=
                static_cast<unsigned long long>(std::numeric_limits<T>::max()))
            return static_cast<T>(v);
    } catch (const std::exception&) {
    }
    throw CliError{"update: " + flag + " \"" + s + "\": expected a number in range"};
}

struct Flags {
    std::string id, resources;
    std::map<std::string, std::string> values; // flag → text, only those given
};

spec::Resources build(const Flags& f) {
    spec::Resources r;
    if (!f.resources.empty()) {
        Result<std::string> text = std::string();
        if (f.resources == "-")
            text = std::string(std::istreambuf_iterator<char>(std::cin), {});
        else
            text = read_file(f.resources);
        check(text);
        auto parsed = spec::parse_resources(*text);
        check(parsed);
        r = std::move(*parsed);
    }
    auto mem = [&r]() -> spec::Memory& { return r.memory ? *r.memory : r.memory.emplace(); };
    auto cpu = [&r]() -> spec::Cpu& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
    for (const auto& [flag, v] : f.values) {
        if (flag == "--memory")
            mem().limit = parse_bytes(flag, v);
        else if (flag == "--memory-reservation")
            mem().reservation = parse_bytes(flag, v);
        else if (flag == "--memory-swap")
            mem().swap = parse_bytes(flag, v);
        else if (flag == "--kernel-memory")
            mem().kernel = parse_bytes(flag, v);
        else if (flag == "--kernel-memory-tcp")
            mem().kernel_tcp = parse_bytes(flag, v);
        else if (flag == "--cpu-share")
            cpu().shares = parse_number<uint64_t>(flag, v);
        else if (flag == "--cpu-period")
            cpu().period = parse_number<uint64_t>(flag, v);
        else if (flag == "--cpu-quota")
            cpu().quota = parse_number<int64_t>(flag, v);
        else if (flag == "--cpu-burst")
            cpu().burst = parse_number<uint64_t>(flag, v);
        else if (flag == "--cpu-rt-period")
            cpu().realtime_period = parse_number<uint64_t>(flag, v);
        else if (flag == "--cpu-rt-runtime")
            cpu().realtime_runtime = parse_number<int64_t>(flag, v);
        else if (flag == "--cpuset-cpus")
            cpu().cpus = v;
        else if (flag == "--cpuset-mems")
            cpu().mems = v;
        else if (flag == "--pids-limit")
            r.pids.emplace().limit = parse_number<int64_t>(flag, v);
        else if (flag == "--blkio-weight") {
            if (!r.block_io) r.block_io.emplace();
            r.block_io->weight = parse_number<uint16_t>(flag, v);
        }
    }
    return r;
}

} // namespace

void register_update(CLI::App& app, Globals& g) {
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("update", "change the resource limits of a container");
    cmd->add_option("-r,--resources", f->resources,
                    "file with a linux.resources JSON object, - for stdin");
    for (const char* flag : {"--memory", "--memory-reservation", "--memory-swap", "--kernel-memory",
                             "--kernel-memory-tcp", "--cpu-share", "--cpu-period", "--cpu-quota",
                             "--cpu-burst", "--cpu-rt-period", "--cpu-rt-runtime", "--cpuset-cpus",
                             "--cpuset-mems", "--pids-limit", "--blkio-weight"}) {
        std::string name = flag;
        cmd->add_option_function<std::string>(
            name, [f, name](const std::string& v) { f->values[name] = v; }, "see runc update");
    }
    for (const char* flag : {"--l3-cache-schema", "--mem-bw-schema"}) {
        std::string name = flag;
        cmd->add_option_function<std::string>(
            name,
            [name](const std::string&) {
                throw CliError{"update: " + name + ": intel rdt is not supported"};
            },
            "intel rdt (not supported)");
    }
    cmd->add_option("id", f->id, "container id")->required();
    cmd->callback([f, &g] {
        setup_log(g);
        check_id(f->id);
        spec::Resources r = build(*f);
        check(runtime::update_container(runtime::StateStore(state_root(g)), f->id, r));
    });
}

} // namespace corral::cli
