#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

using namespace corral::cgroups;
using namespace corral::cgroups::v2;
namespace spec = corral::spec;

namespace {

// A fake group: a temporary directory whose regular files stand for the
// control files. A write lands at offset 0 without truncation, as in
// cgroupfs, so each file used once shows exactly what was written.
struct Group {
    std::string path;
    int fd = -1;

    Group() {
        char tmpl[] = "/tmp/corral-cg2-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
        fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
    }
    ~Group() {
        ::close(fd);
        if (std::system(("rm -rf " + path).c_str()) != 0) MESSAGE("cannot remove " << path);
    }
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

    void touch(std::initializer_list<const char*> names) {
        for (const char* n : names)
            put(n, "");
    }
    void put(const std::string& name, const std::string& content) {
        std::ofstream(path + "/" + name) << content;
    }
    // A directory where a file is expected: opening it for writing fails,
    // which shows which writes came before.
    void block(const std::string& name) {
        REQUIRE(::mkdir((path + "/" + name).c_str(), 0755) == 0);
    }
    std::string get(const std::string& name) const {
        std::ifstream in(path + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    bool has(const std::string& name) const {
        return ::access((path + "/" + name).c_str(), F_OK) == 0;
    }

    // A FIFO holding both ends: several writes to one file (io.max lines)
    // queue up in order instead of overwriting each other.
    int fifo(const std::string& name) {
        std::string p = path + "/" + name;
        REQUIRE(::mkfifo(p.c_str(), 0600) == 0);
        int f = ::open(p.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
        REQUIRE(f >= 0);
        return f;
    }
    static std::string drain(int f) {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(f, buf, sizeof buf)) > 0)
            out.append(buf, static_cast<size_t>(n));
        ::close(f);
        return out;
    }
};

bool mentions(const corral::Status& s, const std::string& what) {
    return !s.ok() && s.error().message().find(what) != std::string::npos;
}
template <typename T> bool mentions(const corral::Result<T>& r, const std::string& what) {
    return !r.ok() && r.error().message().find(what) != std::string::npos;
}

} // namespace

// ---------------------------------------------------------------- conversions

TEST_CASE("cgroup v2: cpu shares map to cpu.weight with crun's log-quadratic curve") {
    CHECK(shares_to_weight(0) == 0); // unset
    CHECK(shares_to_weight(1) == 1);
    CHECK(shares_to_weight(2) == 1);
    CHECK(shares_to_weight(1024) == 100); // the two defaults meet
    CHECK(shares_to_weight(262144) == 10000);
    CHECK(shares_to_weight(1000000) == 10000);
    CHECK(shares_to_weight(3) == 2);
    CHECK(shares_to_weight(100) == 17);
    CHECK(shares_to_weight(512) == 59);
    CHECK(shares_to_weight(2048) == 174);
    CHECK(shares_to_weight(4096) == 303);
    CHECK(shares_to_weight(10000) == 627);
    CHECK(shares_to_weight(262143) == 10000);
    // Monotonic and in range over the whole v1 range.
    uint64_t prev = 1;
    bool ok = true;
    for (uint64_t s = 2; s <= 262144; ++s) {
        uint64_t w = shares_to_weight(s);
        ok = ok && w >= prev && w >= 1 && w <= 10000;
        prev = w;
    }
    CHECK(ok);
}

TEST_CASE("cgroup v2: blkio weight maps linearly onto io.weight") {
    CHECK(blkio_weight_to_io_weight(0) == 0);
    CHECK(blkio_weight_to_io_weight(10) == 1);
    CHECK(blkio_weight_to_io_weight(100) == 910);
    CHECK(blkio_weight_to_io_weight(300) == 2930);
    CHECK(blkio_weight_to_io_weight(500) == 4950);
    CHECK(blkio_weight_to_io_weight(1000) == 10000);
}

TEST_CASE("cgroup v2: memory+swap converts to memory.swap.max as runc does") {
    CHECK(*swap_to_v2(-1, 1000) == -1); // unlimited swap
    CHECK(*swap_to_v2(-1, 0) == -1);
    CHECK(*swap_to_v2(0, -1) == -1);  // unlimited memory, swap unset: both unlimited
    CHECK(*swap_to_v2(0, 1000) == 0); // unset
    CHECK(*swap_to_v2(3000, 1000) == 2000);
    CHECK(*swap_to_v2(1000, 1000) == 0); // no swap at all
    auto below = swap_to_v2(500, 1000);
    CHECK(mentions(below, "linux.resources.memory.swap:"));
    CHECK(mentions(below, "below the memory limit"));
    CHECK(mentions(swap_to_v2(500, 0), "needs a memory limit"));
    CHECK(mentions(swap_to_v2(500, -1), "needs a memory limit"));
    CHECK(mentions(swap_to_v2(-2, 1000), "invalid value -2"));
}

// --------------------------------------------------------------------- memory

TEST_CASE("cgroup v2 memory: limit, reservation and swap are written") {
    Group g;
    g.touch({"memory.max", "memory.low", "memory.swap.max"});
    spec::Memory m;
    m.limit = 104857600;
    m.reservation = 52428800;
    m.swap = 314572800;
    REQUIRE(apply_memory(g.fd, m).ok());
    CHECK(g.get("memory.max") == "104857600");
    CHECK(g.get("memory.low") == "52428800");
    CHECK(g.get("memory.swap.max") == "209715200");
}

TEST_CASE("cgroup v2 memory: -1, equal swap and unset fields") {
    SUBCASE("-1 is max, and unlimited memory makes swap unlimited") {
        Group g;
        g.touch({"memory.max", "memory.low", "memory.swap.max"});
        spec::Memory m;
        m.limit = -1;
        m.reservation = -1;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.max") == "max");
        CHECK(g.get("memory.low") == "max");
        CHECK(g.get("memory.swap.max") == "max");
    }
    SUBCASE("unlimited memory without swap accounting is fine") {
        Group g;
        g.touch({"memory.max"});
        spec::Memory m;
        m.limit = -1;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.max") == "max");
        CHECK_FALSE(g.has("memory.swap.max"));
    }
    SUBCASE("memory+swap equal to memory disables swap") {
        Group g;
        g.touch({"memory.max", "memory.swap.max"});
        spec::Memory m;
        m.limit = 4096;
        m.swap = 4096;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.swap.max") == "0");
    }
    SUBCASE("swap 0 leaves memory.swap.max alone") {
        Group g;
        g.touch({"memory.max", "memory.swap.max"});
        spec::Memory m;
        m.limit = 4096;
        m.swap = 0;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.max") == "4096");
        CHECK(g.get("memory.swap.max").empty());
    }
    SUBCASE("nothing set, nothing written") {
        Group g;
        g.touch({"memory.max", "memory.low", "memory.swap.max"});
        spec::Memory m;
        m.swappiness = 0;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.max").empty());
        CHECK(g.get("memory.low").empty());
        CHECK(g.get("memory.swap.max").empty());
        m.limit = 0; // 0 is unset too
        m.reservation = 0;
        REQUIRE(apply_memory(g.fd, m).ok());
        CHECK(g.get("memory.max").empty());
        CHECK(g.get("memory.low").empty());
    }
}

TEST_CASE("cgroup v2 memory: errors name the file or the field") {
    SUBCASE("swap without swap accounting") {
        Group g;
        g.touch({"memory.max"});
        spec::Memory m;
        m.limit = 4096;
        m.swap = 8192;
        auto r = apply_memory(g.fd, m);
        CHECK(mentions(r, "linux.resources.memory.swap: swap accounting is not enabled"));
        CHECK(g.get("memory.max").empty()); // refused before anything changed
    }
    SUBCASE("missing memory.max") {
        Group g;
        spec::Memory m;
        m.limit = 4096;
        auto r = apply_memory(g.fd, m);
        CHECK(mentions(r, "cgroup file memory.max"));
        CHECK(mentions(r, "linux.resources.memory.limit"));
        CHECK(mentions(r, "no such file or directory"));
    }
    SUBCASE("swap below memory") {
        Group g;
        g.touch({"memory.max", "memory.swap.max"});
        spec::Memory m;
        m.limit = 8192;
        m.swap = 4096;
        CHECK(mentions(apply_memory(g.fd, m), "linux.resources.memory.swap:"));
        CHECK(g.get("memory.max").empty());
    }
}

TEST_CASE("cgroup v2 memory: memory.swap.max is written before memory.max") {
    Group g;
    g.touch({"memory.swap.max"});
    g.block("memory.max");
    spec::Memory m;
    m.limit = 4096;
    m.swap = 12288;
    CHECK(mentions(apply_memory(g.fd, m), "memory.max"));
    CHECK(g.get("memory.swap.max") == "8192");
}

TEST_CASE("cgroup v2 memory: checkBeforeUpdate refuses a limit below usage") {
    Group g;
    g.touch({"memory.max"});
    g.put("memory.current", "5000\n");
    spec::Memory m;
    m.limit = 4096;
    m.check_before_update = true;
    CHECK(mentions(apply_memory(g.fd, m), "below the current usage 5000"));
    CHECK(g.get("memory.max").empty());
    m.limit = 10000;
    CHECK(apply_memory(g.fd, m).ok());
    CHECK(g.get("memory.max") == "10000");
}

// ------------------------------------------------------------------------ cpu

TEST_CASE("cgroup v2 cpu: weight, max, burst and idle") {
    Group g;
    g.touch({"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"});
    spec::Cpu c;
    c.shares = 1024;
    c.quota = 50000;
    c.period = 100000;
    c.burst = 10000;
    c.idle = 0;
    REQUIRE(apply_cpu(g.fd, c).ok());
    CHECK(g.get("cpu.weight") == "100");
    CHECK(g.get("cpu.max") == "50000 100000");
    CHECK(g.get("cpu.max.burst") == "10000");
    CHECK(g.get("cpu.idle") == "0");
}

TEST_CASE("cgroup v2 cpu: cpu.max forms") {
    struct Case {
        std::optional<int64_t> quota;
        std::optional<uint64_t> period;
        std::string before, after;
    };
    std::vector<Case> cases = {
        {-1, 100000, "", "max 100000"},
        {-1, {}, "", "max"},
        {20000, {}, "", "20000"},
        // Period alone keeps the current quota.
        {{}, 250000, "30000 100000\n", "30000 250000"},
        {{}, 250000, "max 100000\n", "max 250000"},
        {0, 200000, "max 100000\n", "max 200000"}, // quota 0 is unset
    };
    for (const auto& k : cases) {
        Group g;
        g.put("cpu.max", k.before);
        spec::Cpu c;
        c.quota = k.quota;
        c.period = k.period;
        REQUIRE(apply_cpu(g.fd, c).ok());
        // The fake file is not truncated: compare the written prefix.
        CHECK(g.get("cpu.max").substr(0, k.after.size()) == k.after);
    }
}

TEST_CASE("cgroup v2 cpu: unset fields write nothing") {
    Group g;
    g.touch({"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"});
    spec::Cpu c;
    c.shares = 0; // Docker's "unset"
    c.cpus = "0-1";
    REQUIRE(apply_cpu(g.fd, c).ok());
    for (const char* f : {"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"})
        CHECK(g.get(f).empty());
}

TEST_CASE("cgroup v2 cpu: idle comes before weight; missing files are named") {
    SUBCASE("order") {
        Group g;
        g.touch({"cpu.idle"});
        g.block("cpu.weight");
        spec::Cpu c;
        c.idle = 0;
        c.shares = 2048;
        auto r = apply_cpu(g.fd, c);
        CHECK(mentions(r, "linux.resources.cpu.shares"));
        CHECK(mentions(r, "cgroup file cpu.weight"));
        CHECK(g.get("cpu.idle") == "0");
    }
    SUBCASE("period alone needs cpu.max to read") {
        Group g;
        spec::Cpu c;
        c.period = 100000;
        auto r = apply_cpu(g.fd, c);
        CHECK(mentions(r, "linux.resources.cpu.period"));
        CHECK(mentions(r, "cpu.max"));
    }
    SUBCASE("missing cpu.max.burst") {
        Group g;
        spec::Cpu c;
        c.burst = 1000;
        auto r = apply_cpu(g.fd, c);
        CHECK(mentions(r, "linux.resources.cpu.burst"));
        CHECK(mentions(r, "cgroup file cpu.max.burst"));
    }
}

// --------------------------------------------------------------- cpuset, pids

TEST_CASE("cgroup v2 cpuset: cpus and mems, empty is unset") {
    Group g;
    g.touch({"cpuset.cpus", "cpuset.mems"});
    spec::Cpu c;
    REQUIRE(apply_cpuset(g.fd, c).ok());
    CHECK(g.get("cpuset.cpus").empty());
    CHECK(g.get("cpuset.mems").empty());
    c.cpus = "0-3,6";
    c.mems = "0";
    REQUIRE(apply_cpuset(g.fd, c).ok());
    CHECK(g.get("cpuset.cpus") == "0-3,6");
    CHECK(g.get("cpuset.mems") == "0");

    Group bare;
    CHECK(mentions(apply_cpuset(bare.fd, c), "cgroup file cpuset.cpus"));
}

TEST_CASE("cgroup v2 pids: positive, negative and zero limits") {
    auto run = [](std::optional<int64_t> limit) {
        Group g;
        g.touch({"pids.max"});
        spec::Pids p;
        p.limit = limit;
        REQUIRE(apply_pids(g.fd, p).ok());
        return g.get("pids.max");
    };
    CHECK(run(100) == "100");
    CHECK(run(-1) == "max");
    CHECK(run(-5) == "max");
    CHECK(run(0).empty());
    CHECK(run({}).empty());
    Group bare;
    spec::Pids p;
    p.limit = 10;
    CHECK(mentions(apply_pids(bare.fd, p), "cgroup file pids.max"));
}

// ------------------------------------------------------------------------- io

TEST_CASE("cgroup v2 io: weights go to BFQ as is when it exists") {
    Group g;
    g.touch({"io.weight"});
    int bfq = g.fifo("io.bfq.weight");
    spec::BlockIo b;
    b.weight = 500;
    spec::WeightDevice wd;
    wd.major = 8;
    wd.minor = 0;
    wd.weight = 300;
    spec::WeightDevice unset; // no weight: skipped
    unset.major = 8;
    unset.minor = 16;
    b.weight_device = {wd, unset};
    REQUIRE(apply_io(g.fd, b).ok());
    CHECK(Group::drain(bfq) == "500"
                               "8:0 300");
    CHECK(g.get("io.weight").empty());
}

TEST_CASE("cgroup v2 io: without BFQ, io.weight gets converted weights") {
    Group g;
    int w = g.fifo("io.weight");
    spec::BlockIo b;
    b.weight = 500;
    spec::WeightDevice wd;
    wd.major = 8;
    wd.minor = 16;
    wd.weight = 300;
    b.weight_device = {wd};
    REQUIRE(apply_io(g.fd, b).ok());
    CHECK(Group::drain(w) == "default 4950"
                             "8:16 2930");
}

TEST_CASE("cgroup v2 io: throttles become io.max lines, rate 0 is max") {
    Group g;
    g.touch({"io.weight"});
    int max = g.fifo("io.max");
    spec::BlockIo b;
    b.throttle_read_bps = {{8, 0, 1048576}};
    b.throttle_write_bps = {{8, 0, 0}};
    b.throttle_read_iops = {{8, 16, 100}};
    b.throttle_write_iops = {{253, 1, 200}};
    REQUIRE(apply_io(g.fd, b).ok());
    CHECK(Group::drain(max) == "8:0 rbps=1048576"
                               "8:0 wbps=max"
                               "8:16 riops=100"
                               "253:1 wiops=200");
    CHECK(g.get("io.weight").empty()); // no weight asked for
}

TEST_CASE("cgroup v2 io: unset writes nothing, missing io.max is named") {
    Group g;
    g.touch({"io.weight", "io.max"});
    REQUIRE(apply_io(g.fd, spec::BlockIo{}).ok());
    CHECK(g.get("io.weight").empty());
    CHECK(g.get("io.max").empty());

    Group bare;
    spec::BlockIo b;
    b.throttle_read_bps = {{8, 0, 10}};
    auto r = apply_io(bare.fd, b);
    CHECK(mentions(r, "linux.resources.blockIO.throttleReadBpsDevice"));
    CHECK(mentions(r, "cgroup file io.max"));
}

// -------------------------------------------------------------- hugetlb, rdma

TEST_CASE("cgroup v2 hugetlb: limits and reservations per page size") {
    Group g;
    g.touch({"hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "hugetlb.1GB.max"});
    std::vector<spec::HugepageLimit> l = {{"2MB", 4194304}, {"1GB", 1073741824}};
    REQUIRE(apply_hugetlb(g.fd, l).ok());
    CHECK(g.get("hugetlb.2MB.max") == "4194304");
    CHECK(g.get("hugetlb.2MB.rsvd.max") == "4194304");
    CHECK(g.get("hugetlb.1GB.max") == "1073741824");
    CHECK_FALSE(g.has("hugetlb.1GB.rsvd.max")); // older kernel: only the limit

    auto r = apply_hugetlb(g.fd, {{"64KB", 65536}});
    CHECK(mentions(r, "linux.resources.hugepageLimits:"));
    CHECK(mentions(r, "page size 64KB is not supported"));
    CHECK(mentions(apply_hugetlb(g.fd, {{"../x", 1}}), "invalid page size"));
}

TEST_CASE("cgroup v2 rdma: one rdma.max line per device, unset parts are max") {
    Group g;
    int f = g.fifo("rdma.max");
    std::map<std::string, spec::Rdma> rdma;
    rdma["mlx4_0"].hca_handles = 2;
    rdma["mlx5_1"].hca_objects = 10;
    REQUIRE(apply_rdma(g.fd, rdma).ok());
    CHECK(Group::drain(f) == "mlx4_0 hca_handle=2 hca_object=max"
                             "mlx5_1 hca_handle=max hca_object=10");
    CHECK(mentions(apply_rdma(g.fd, {{"a b", {}}}), "invalid device name"));
    Group bare;
    CHECK(mentions(apply_rdma(bare.fd, rdma), "cgroup file rdma.max"));
}

// -------------------------------------------------------------------- unified

TEST_CASE("cgroup v2 unified: keys need an enabled controller and an existing file") {
    std::vector<std::string> enabled = {"cpu", "memory", "pids"};
    SUBCASE("written") {
        Group g;
        g.touch({"memory.high", "cgroup.max.depth"});
        REQUIRE(
            apply_unified(g.fd, {{"memory.high", "1G"}, {"cgroup.max.depth", "3"}}, enabled).ok());
        CHECK(g.get("memory.high") == "1G");
        CHECK(g.get("cgroup.max.depth") == "3");
    }
    SUBCASE("controller not enabled") {
        Group g;
        g.touch({"io.weight"});
        auto r = apply_unified(g.fd, {{"io.weight", "default 100"}}, enabled);
        CHECK(mentions(r, "linux.resources.unified: io.weight: controller \"io\" is not enabled"));
        CHECK(g.get("io.weight").empty());
    }
    SUBCASE("no such file") {
        Group g;
        auto r = apply_unified(g.fd, {{"memory.oom.group", "1"}}, enabled);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message() == "linux.resources.unified: memory.oom.group: no such file");
    }
    SUBCASE("refused keys") {
        Group g;
        g.touch({"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type",
                 "cgroup.kill", "cgroup.freeze"});
        for (const char* k : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                              "cgroup.type", "cgroup.kill", "cgroup.freeze"}) {
            auto r = apply_unified(g.fd, {{k, "1"}}, enabled);
            CHECK(mentions(r, std::string("linux.resources.unified: ") + k));
            CHECK(g.get(k).empty());
        }
        for (const char* k :
             {"../memory.max", "memory.max/x", "memory..max", "nodot", ".max", "memory.", ""})
            CHECK(mentions(apply_unified(g.fd, {{k, "1"}}, enabled), "linux.resources.unified:"));
    }
}

// ------------------------------------------------------------- whole resources

TEST_CASE("cgroup v2 check_resources: what v2 cannot express is refused by field") {
    auto refused = [](const spec::Resources& r, const std::string& field) {
        auto s = check_resources(r);
        INFO(field);
        CHECK(mentions(s, "linux.resources." + field + ":"));
    };
    {
        spec::Resources r;
        r.memory.emplace().swappiness = 60;
        refused(r, "memory.swappiness");
        r.memory->swappiness = 0;
        CHECK(check_resources(r).ok());
    }
    {
        spec::Resources r;
        r.memory.emplace().disable_oom_killer = true;
        refused(r, "memory.disableOOMKiller");
        r.memory->disable_oom_killer = false;
        CHECK(check_resources(r).ok());
    }
    {
        spec::Resources r;
        r.memory.emplace().kernel = 1 << 20;
        refused(r, "memory.kernel");
        r.memory->kernel = 0;
        CHECK(check_resources(r).ok());
        r.memory->kernel_tcp = 1 << 20;
        refused(r, "memory.kernelTCP");
    }
    {
        spec::Resources r;
        r.memory.emplace().limit = -2;
        refused(r, "memory.limit");
        r.memory->limit = 4096;
        r.memory->reservation = -7;
        refused(r, "memory.reservation");
        r.memory->reservation = {};
        r.memory->swap = 1024;
        refused(r, "memory.swap");
    }
    {
        spec::Resources r;
        r.cpu.emplace().realtime_runtime = 950000;
        refused(r, "cpu.realtimeRuntime");
        r.cpu->realtime_runtime = 0;
        r.cpu->realtime_period = 1000000;
        refused(r, "cpu.realtimePeriod");
        r.cpu->realtime_period = {};
        r.cpu->idle = 2;
        refused(r, "cpu.idle");
        r.cpu->idle = 1;
        CHECK(check_resources(r).ok());
        r.cpu->shares = 512;
        refused(r, "cpu.idle");
        r.cpu->idle = {};
        r.cpu->quota = -3;
        refused(r, "cpu.quota");
    }
    {
        spec::Resources r;
        r.network.emplace().class_id = 0x100001;
        refused(r, "network.classID");
        r.network->class_id = {};
        r.network->priorities = {{"eth0", 5}};
        refused(r, "network.priorities");
    }
    {
        spec::Resources r;
        r.block_io.emplace().leaf_weight = 500;
        refused(r, "blockIO.leafWeight");
        r.block_io->leaf_weight = {};
        spec::WeightDevice wd;
        wd.leaf_weight = 300;
        r.block_io->weight_device = {wd};
        refused(r, "blockIO.weightDevice.leafWeight");
        r.block_io->weight_device[0].leaf_weight = {};
        r.block_io->weight_device[0].weight = 5;
        refused(r, "blockIO.weightDevice.weight");
        r.block_io->weight_device.clear();
        r.block_io->weight = 1001;
        refused(r, "blockIO.weight");
        r.block_io->weight = 1000;
        CHECK(check_resources(r).ok());
    }
    {
        spec::Resources r;
        r.hugepage_limits = {{"2M", 1}};
        refused(r, "hugepageLimits");
        r.hugepage_limits = {{"2MB", 1}};
        r.unified = {{"cgroup.procs", "1"}};
        refused(r, "unified");
        r.unified = {{"memory.high", "max"}};
        CHECK(check_resources(r).ok());
    }
    CHECK(check_resources(spec::Resources{}).ok());
}

TEST_CASE("cgroup v2 required_controllers: kernel order, no duplicates") {
    spec::Resources r;
    CHECK(required_controllers(r).empty());
    r.unified = {{"rdma.max", "x"},
                 {"misc.max", "y"},
                 {"memory.high", "1G"},
                 {"cgroup.max.depth", "2"},
                 {"zzz.knob", "1"}};
    r.pids.emplace().limit = 10;
    r.memory.emplace().limit = 4096;
    r.hugepage_limits = {{"2MB", 1}};
    r.block_io.emplace().weight = 100;
    auto& cpu = r.cpu.emplace();
    cpu.shares = 512;
    cpu.cpus = "0";
    CHECK(required_controllers(r) == std::vector<std::string>{"cpuset", "cpu", "io", "memory",
                                                              "hugetlb", "pids", "rdma", "misc",
                                                              "zzz"});
}

TEST_CASE("cgroup v2 required_controllers: only what would be written counts") {
    spec::Resources r;
    r.cpu.emplace().shares = 0;
    r.memory.emplace().swappiness = 0;
    r.pids.emplace().limit = 0;
    r.block_io.emplace();
    CHECK(required_controllers(r).empty());
    r.cpu->mems = "0";
    CHECK(required_controllers(r) == std::vector<std::string>{"cpuset"});
    r.cpu->idle = 0;
    CHECK(required_controllers(r) == std::vector<std::string>{"cpuset", "cpu"});
}

TEST_CASE("cgroup v2 apply_all: every controller, unified last") {
    Group g;
    g.touch({"cpuset.cpus", "cpu.weight", "cpu.max", "memory.max", "memory.high", "pids.max",
             "io.weight", "hugetlb.2MB.max"});
    spec::Resources r;
    auto& cpu = r.cpu.emplace();
    cpu.cpus = "1";
    cpu.shares = 1024;
    cpu.quota = 10000;
    r.memory.emplace().limit = 1000000;
    r.pids.emplace().limit = 64;
    r.block_io.emplace().weight = 10;
    r.hugepage_limits = {{"2MB", 2097152}};
    r.unified = {{"memory.high", "900000"}, {"pids.max", "32"}};
    REQUIRE(apply_all(g.fd, r, {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}).ok());
    CHECK(g.get("cpuset.cpus") == "1");
    CHECK(g.get("cpu.weight") == "100");
    CHECK(g.get("cpu.max") == "10000");
    CHECK(g.get("memory.max") == "1000000");
    CHECK(g.get("memory.high") == "900000");
    CHECK(g.get("io.weight") == "default 1");
    CHECK(g.get("hugetlb.2MB.max") == "2097152");
    CHECK(g.get("pids.max").substr(0, 2) == "32"); // unified overrode "64"
}

TEST_CASE("cgroup v2 apply_all: refusals come before any write") {
    Group g;
    g.touch({"cpuset.cpus", "memory.max"});
    spec::Resources r;
    r.cpu.emplace().cpus = "0";
    r.memory.emplace().limit = 4096;
    r.memory->swappiness = 10;
    CHECK(mentions(apply_all(g.fd, r, {"cpuset", "memory"}), "linux.resources.memory.swappiness"));
    CHECK(g.get("cpuset.cpus").empty());
    CHECK(g.get("memory.max").empty());
}

// ---------------------------------------------------------------------- stats

TEST_CASE("cgroup v2 read_stats: parses realistic control files") {
    Group g;
    g.put("cpu.stat", "usage_usec 1234567\n"
                      "user_usec 1000000\n"
                      "system_usec 234567\n"
                      "core_sched.force_idle_usec 0\n"
                      "nr_periods 50\n"
                      "nr_throttled 3\n"
                      "throttled_usec 4567\n"
                      "nr_bursts 0\n"
                      "burst_usec 0\n");
    g.put("memory.current", "6475776\n");
    g.put("memory.max", "max\n");
    g.put("memory.peak", "7340032\n");
    g.put("memory.swap.current", "8192\n");
    g.put("memory.swap.max", "max\n");
    g.put("memory.swap.events", "high 0\nmax 0\nfail 0\n");
    g.put("memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n");
    g.put("memory.stat", "anon 1363968\n"
                         "file 4866048\n"
                         "kernel 1150976\n"
                         "kernel_stack 49152\n"
                         "pagetables 94208\n"
                         "sec_pagetables 0\n"
                         "percpu 0\n"
                         "sock 0\n"
                         "vmalloc 0\n"
                         "shmem 0\n"
                         "file_mapped 2572288\n"
                         "file_dirty 0\n"
                         "file_writeback 0\n"
                         "swapcached 0\n"
                         "anon_thp 0\n"
                         "inactive_anon 1335296\n"
                         "active_anon 28672\n"
                         "inactive_file 2805760\n"
                         "active_file 2060288\n"
                         "unevictable 0\n"
                         "slab_reclaimable 565624\n"
                         "slab_unreclaimable 287504\n"
                         "slab 853128\n"
                         "workingset_refault_anon 0\n"
                         "pgfault 4331\n"
                         "pgmajfault 44\n"
                         "thp_fault_alloc 0\n");
    g.put("pids.current", "7\n");
    g.put("pids.max", "max\n");
    g.put("io.stat", "8:0 rbytes=1183744 wbytes=4096 rios=43 wios=1 dbytes=0 dios=0\n"
                     "253:0 rbytes=90112 wbytes=0 rios=22 wios=0 dbytes=0 dios=0\n");
    g.put("hugetlb.2MB.current", "4194304\n");
    g.put("hugetlb.2MB.rsvd.current", "6291456\n");
    g.put("hugetlb.2MB.max", "max\n");
    g.put("hugetlb.2MB.events", "max 3\n");
    g.put("hugetlb.1GB.current", "0\n");
    g.put("hugetlb.1GB.max", "0\n");
    g.put("hugetlb.1GB.events", "max 0\n");

    Stats s = read_stats(g.fd);
    CHECK(s.cpu.total == 1234567000);
    CHECK(s.cpu.user == 1000000000);
    CHECK(s.cpu.kernel == 234567000);
    CHECK(s.cpu.periods == 50);
    CHECK(s.cpu.throttled_periods == 3);
    CHECK(s.cpu.throttled_time == 4567000);

    CHECK(s.memory.usage.usage == 6475776);
    CHECK(s.memory.usage.limit == kMax);
    CHECK(s.memory.usage.max == 7340032);
    CHECK(s.memory.usage.failcnt == 12);
    CHECK(s.memory.cache == 4866048);
    CHECK(s.memory.raw.size() == 27);
    CHECK(s.memory.raw.at("anon") == 1363968);
    CHECK(s.memory.raw.at("pgmajfault") == 44);
    CHECK(s.memory.swap.usage == 6475776 + 8192); // v1 meaning: memory+swap
    CHECK(s.memory.swap.limit == kMax);
    CHECK(s.oom_kills == 1);

    CHECK(s.pids.current == 7);
    CHECK(s.pids.limit == 0);

    const auto& bytes = s.blkio.io_service_bytes_recursive;
    REQUIRE(bytes.size() == 4);
    CHECK(bytes[0].major == 8);
    CHECK(bytes[0].minor == 0);
    CHECK(bytes[0].op == "Read");
    CHECK(bytes[0].value == 1183744);
    CHECK(bytes[1].op == "Write");
    CHECK(bytes[1].value == 4096);
    CHECK(bytes[2].major == 253);
    CHECK(bytes[2].value == 90112);
    const auto& ios = s.blkio.io_serviced_recursive;
    REQUIRE(ios.size() == 4);
    CHECK(ios[0].op == "Read");
    CHECK(ios[0].value == 43);
    CHECK(ios[1].op == "Write");
    CHECK(ios[1].value == 1);
    CHECK(ios[2].major == 253);
    CHECK(ios[2].value == 22);

    REQUIRE(s.hugetlb.size() == 2);
    CHECK(s.hugetlb.at("2MB").usage == 6291456); // reservations, as runc reports
    CHECK(s.hugetlb.at("2MB").failcnt == 3);
    CHECK(s.hugetlb.at("1GB").usage == 0);
}

TEST_CASE("cgroup v2 read_stats: limits and absent controllers") {
    SUBCASE("finite limits") {
        Group g;
        g.put("memory.current", "1000\n");
        g.put("memory.max", "4096\n");
        g.put("memory.swap.current", "10\n");
        g.put("memory.swap.max", "2048\n");
        g.put("pids.current", "1\n");
        g.put("pids.max", "100\n");
        Stats s = read_stats(g.fd);
        CHECK(s.memory.usage.limit == 4096);
        CHECK(s.memory.swap.usage == 1010);
        CHECK(s.memory.swap.limit == 6144);
        CHECK(s.pids.limit == 100);
    }
    SUBCASE("swap limit with unlimited memory saturates") {
        Group g;
        g.put("memory.current", "1000\n");
        g.put("memory.max", "max\n");
        g.put("memory.swap.current", "0\n");
        g.put("memory.swap.max", "2048\n");
        CHECK(read_stats(g.fd).memory.swap.limit == kMax);
    }
    SUBCASE("an empty group reports zeros") {
        Group g;
        Stats s = read_stats(g.fd);
        CHECK(s.cpu.total == 0);
        CHECK(s.memory.usage.usage == 0);
        CHECK(s.memory.raw.empty());
        CHECK(s.pids.current == 0);
        CHECK(s.blkio.io_service_bytes_recursive.empty());
        CHECK(s.hugetlb.empty());
        CHECK(s.oom_kills == 0);
    }
}
