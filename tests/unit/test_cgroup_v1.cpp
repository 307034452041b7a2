// The v1 controllers against a temporary directory of regular files named
// like control files. The controllers open without O_TRUNC, as the kernel's
// files need, so each write lands at offset 0 over what was there: tests use
// equal-length values where a file starts non-empty.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/v1/controllers.hpp"

using namespace corral;
using namespace corral::cgroups;

// The freezer's internal loop, with its deadline and state reader exposed
// for the timeout path (defined in src/cgroups/v1/freezer.cpp).
namespace corral::cgroups::v1::detail {
using StateReader = Result<std::string> (*)(int dir);
Status freeze_until(int dir, std::chrono::milliseconds timeout, StateReader read_state);
} // namespace corral::cgroups::v1::detail

namespace {

class FakeGroup {
public:
    explicit FakeGroup(std::initializer_list<const char*> files) {
        char tmpl[] = "/tmp/corral-cgv1-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path_ = tmpl;
        for (const char* f : files)
            put(f, "");
        fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd_ >= 0);
    }
    ~FakeGroup() {
        ::close(fd_);
        std::system(("rm -rf " + path_).c_str());
    }
    FakeGroup(const FakeGroup&) = delete;
    FakeGroup& operator=(const FakeGroup&) = delete;

    int fd() const { return fd_; }
    void put(const std::string& name, const std::string& content) {
        std::ofstream(path_ + "/" + name, std::ios::trunc) << content;
    }
    // A directory where a file is expected: opening it for writing fails
    // (EISDIR), which shows whether a write was attempted before another.
    void make_dir(const std::string& name) {
        ::unlink((path_ + "/" + name).c_str());
        REQUIRE(::mkdir((path_ + "/" + name).c_str(), 0755) == 0);
    }
    void remove(const std::string& name) { ::unlink((path_ + "/" + name).c_str()); }
    std::string get(const std::string& name) const {
        std::ifstream in(path_ + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    std::string path_;
    int fd_ = -1;
};

bool has(const Error& e, const std::string& text) {
    return e.message().find(text) != std::string::npos;
}

const std::initializer_list<const char*> kMemoryFiles = {
    "memory.limit_in_bytes",      "memory.memsw.limit_in_bytes",    "memory.soft_limit_in_bytes",
    "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes", "memory.swappiness",
    "memory.oom_control",         "memory.usage_in_bytes",          "memory.max_usage_in_bytes"};

} // namespace

TEST_CASE("cgroup v1 required controllers follow the fields that are written") {
    spec::Resources r;
    CHECK(v1::required_controllers(r).empty());
    r.memory = spec::Memory{};
    r.memory->kernel = 1 << 20; // ignored, so it needs nothing
    r.memory->limit = 0;        // 0 is unset, as in runc
    r.cpu = spec::Cpu{};
    r.pids = spec::Pids{};
    r.network = spec::Network{};
    CHECK(v1::required_controllers(r).empty());

    r.memory->swappiness = 10;
    r.cpu->quota = 50000;
    r.cpu->cpus = "0-1";
    r.pids->limit = -1;
    r.block_io = spec::BlockIo{};
    r.block_io->throttle_read_bps.push_back({8, 0, 1000});
    r.hugepage_limits.push_back({"2MB", 1 << 21});
    r.network->class_id = 7;
    r.rdma["mlx4_0"].hca_handles = 2;
    CHECK(v1::required_controllers(r) == std::set<std::string>{"memory", "cpu", "cpuset", "pids",
                                                               "blkio", "hugetlb", "net_cls",
                                                               "rdma"});
    r.network->priorities.push_back({"eth0", 5});
    CHECK(v1::required_controllers(r).count("net_prio") == 1);

    spec::Resources only_mems;
    only_mems.cpu = spec::Cpu{};
    only_mems.cpu->mems = "0";
    CHECK(v1::required_controllers(only_mems) == std::set<std::string>{"cpuset"});
}

TEST_CASE("cgroup v1 memory writes every field to its file") {
    FakeGroup g(kMemoryFiles);
    g.put("memory.limit_in_bytes", "900000000");
    spec::Memory m;
    m.limit = 100000000;
    m.swap = 200000000;
    m.reservation = 50000000;
    m.kernel = 12345; // ignored (deprecated; runc >= 1.1 ignores it too)
    m.kernel_tcp = 1000000;
    m.swappiness = 30;
    m.disable_oom_killer = true;
    REQUIRE(v1::apply_memory(g.fd(), m, false).ok());
    CHECK(g.get("memory.limit_in_bytes") == "100000000");
    CHECK(g.get("memory.memsw.limit_in_bytes") == "200000000");
    CHECK(g.get("memory.soft_limit_in_bytes") == "50000000");
    CHECK(g.get("memory.kmem.limit_in_bytes") == "");
    CHECK(g.get("memory.kmem.tcp.limit_in_bytes") == "1000000");
    CHECK(g.get("memory.swappiness") == "30");
    CHECK(g.get("memory.oom_control") == "1");
}

TEST_CASE("cgroup v1 memory unset and zero fields write nothing") {
    FakeGroup g(kMemoryFiles);
    g.put("memory.limit_in_bytes", "900000000");
    REQUIRE(v1::apply_memory(g.fd(), spec::Memory{}, true).ok());
    spec::Memory zeros;
    zeros.limit = 0;
    zeros.swap = 0;
    zeros.reservation = 0;
    zeros.kernel_tcp = 0;
    zeros.disable_oom_killer = false;
    REQUIRE(v1::apply_memory(g.fd(), zeros, false).ok());
    CHECK(g.get("memory.limit_in_bytes") == "900000000");
    for (const char* f :
         {"memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
          "memory.kmem.tcp.limit_in_bytes", "memory.swappiness", "memory.oom_control"})
        CHECK(g.get(f) == "");
}

TEST_CASE("cgroup v1 memory orders limit and memsw around the current limit") {
    spec::Memory m;
    m.limit = 200000000;
    m.swap = 300000000;

    SUBCASE("raising: memsw goes first") {
        FakeGroup g(kMemoryFiles);
        g.put("memory.limit_in_bytes", "100000000");
        REQUIRE(v1::apply_memory(g.fd(), m, true).ok());
        CHECK(g.get("memory.limit_in_bytes") == "200000000");
        CHECK(g.get("memory.memsw.limit_in_bytes") == "300000000");

        // memsw unwritable: the failure comes before the limit is touched.
        FakeGroup h(kMemoryFiles);
        h.put("memory.limit_in_bytes", "100000000");
        h.make_dir("memory.memsw.limit_in_bytes");
        auto r = v1::apply_memory(h.fd(), m, true);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "memory.memsw.limit_in_bytes"));
        CHECK(has(r.error(), "linux.resources.memory.swap"));
        CHECK(h.get("memory.limit_in_bytes") == "100000000");
    }
    SUBCASE("lowering: the limit goes first") {
        FakeGroup g(kMemoryFiles);
        g.put("memory.limit_in_bytes", "900000000");
        g.make_dir("memory.memsw.limit_in_bytes");
        auto r = v1::apply_memory(g.fd(), m, true);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "memory.memsw.limit_in_bytes"));
        CHECK(g.get("memory.limit_in_bytes") == "200000000");
    }
    SUBCASE("unlimited: memsw -1 first, also when swap is not given") {
        FakeGroup g(kMemoryFiles);
        g.put("memory.limit_in_bytes", "1");
        spec::Memory unlimited;
        unlimited.limit = -1;
        REQUIRE(v1::apply_memory(g.fd(), unlimited, true).ok());
        CHECK(g.get("memory.limit_in_bytes") == "-1");
        CHECK(g.get("memory.memsw.limit_in_bytes") == "-1");

        FakeGroup h(kMemoryFiles);
        h.put("memory.limit_in_bytes", "900000000");
        h.make_dir("memory.memsw.limit_in_bytes");
        REQUIRE_FALSE(v1::apply_memory(h.fd(), unlimited, true).ok());
        CHECK(h.get("memory.limit_in_bytes") == "900000000");
    }
}

TEST_CASE("cgroup v1 memory refuses what cannot be enforced, naming the field") {
    FakeGroup g(kMemoryFiles);
    g.put("memory.limit_in_bytes", "900000000");
    spec::Memory m;

    SUBCASE("swap without swap accounting") {
        g.remove("memory.memsw.limit_in_bytes");
        m.limit = 100000000;
        m.swap = 200000000;
        auto r = v1::apply_memory(g.fd(), m, false);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "linux.resources.memory.swap:"));
        CHECK(has(r.error(), "swap accounting"));
        CHECK(g.get("memory.limit_in_bytes") == "900000000");
        // Unlimited swap is what such a host gives anyway.
        m.swap = -1;
        REQUIRE(v1::apply_memory(g.fd(), m, false).ok());
        CHECK(g.get("memory.limit_in_bytes") == "100000000");
    }
    SUBCASE("swap below the limit") {
        m.limit = 200000000;
        m.swap = 100000000;
        auto r = v1::apply_memory(g.fd(), m, false);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "linux.resources.memory.swap:"));
        CHECK(has(r.error(), "must be at least memory.limit"));
        CHECK(g.get("memory.limit_in_bytes") == "900000000");
    }
    SUBCASE("swappiness above 100") {
        m.swappiness = 101;
        m.reservation = 1000;
        auto r = v1::apply_memory(g.fd(), m, false);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "linux.resources.memory.swappiness:"));
        CHECK(g.get("memory.soft_limit_in_bytes") == "");
    }
    SUBCASE("a missing file is named") {
        g.remove("memory.soft_limit_in_bytes");
        m.reservation = 1000;
        auto r = v1::apply_memory(g.fd(), m, false);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "memory.soft_limit_in_bytes"));
        CHECK(has(r.error(), "no such file"));
    }
}

TEST_CASE("cgroup v1 memory checkBeforeUpdate refuses a limit below usage") {
    FakeGroup g(kMemoryFiles);
    g.put("memory.limit_in_bytes", "900000000");
    g.put("memory.usage_in_bytes", "500000000\n");
    spec::Memory m;
    m.limit = 100000000;
    m.check_before_update = true;
    auto r = v1::apply_memory(g.fd(), m, true);
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "linux.resources.memory.limit:"));
    CHECK(has(r.error(), "100000000"));
    CHECK(has(r.error(), "500000000"));
    CHECK(g.get("memory.limit_in_bytes") == "900000000");
    // Only on update; and a limit above usage passes.
    REQUIRE(v1::apply_memory(g.fd(), m, false).ok());
    CHECK(g.get("memory.limit_in_bytes") == "100000000");
    m.limit = 600000000;
    REQUIRE(v1::apply_memory(g.fd(), m, true).ok());
    CHECK(g.get("memory.limit_in_bytes") == "600000000");
}

TEST_CASE("cgroup v1 cpu writes shares, bandwidth, idle and realtime") {
    FakeGroup g({"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us",
                 "cpu.idle", "cpu.rt_period_us", "cpu.rt_runtime_us"});
    spec::Cpu c;
    c.shares = 512;
    c.period = 100000;
    c.quota = 50000;
    c.burst = 1000;
    c.idle = 1;
    c.realtime_period = 1000000;
    c.realtime_runtime = 950000;
    REQUIRE(v1::apply_cpu(g.fd(), c).ok());
    CHECK(g.get("cpu.shares") == "512");
    CHECK(g.get("cpu.cfs_period_us") == "100000");
    CHECK(g.get("cpu.cfs_quota_us") == "50000");
    CHECK(g.get("cpu.cfs_burst_us") == "1000");
    CHECK(g.get("cpu.idle") == "1");
    CHECK(g.get("cpu.rt_period_us") == "1000000");
    CHECK(g.get("cpu.rt_runtime_us") == "950000");

    FakeGroup u({"cpu.cfs_quota_us"});
    spec::Cpu unlimited;
    unlimited.quota = -1;
    REQUIRE(v1::apply_cpu(u.fd(), unlimited).ok());
    CHECK(u.get("cpu.cfs_quota_us") == "-1");
}

TEST_CASE("cgroup v1 cpu unset and zero fields write nothing") {
    // No files at all: any write would fail with ENOENT.
    FakeGroup g({});
    REQUIRE(v1::apply_cpu(g.fd(), spec::Cpu{}).ok());
    spec::Cpu zeros;
    zeros.shares = 0;
    zeros.period = 0;
    zeros.quota = 0;
    zeros.realtime_period = 0;
    zeros.realtime_runtime = 0;
    REQUIRE(v1::apply_cpu(g.fd(), zeros).ok());
    // A zero burst on a kernel without cfs_burst_us asks nothing.
    zeros.burst = 0;
    REQUIRE(v1::apply_cpu(g.fd(), zeros).ok());
    zeros.burst = 10;
    auto r = v1::apply_cpu(g.fd(), zeros);
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "cpu.cfs_burst_us"));
    CHECK(has(r.error(), "linux.resources.cpu.burst"));
}

TEST_CASE("cgroup v1 cpu shares clamped by the kernel are an error") {
    FakeGroup g({"cpu.shares"});
    // Writing "2" over "1024" reads back 2024, as a clamp would.
    g.put("cpu.shares", "1024\n");
    spec::Cpu c;
    c.shares = 2;
    auto r = v1::apply_cpu(g.fd(), c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() ==
          "linux.resources.cpu.shares: the minimum allowed cpu-shares is 2024");
}

TEST_CASE("cgroup v1 cpu missing files are named") {
    FakeGroup g({"cpu.cfs_quota_us", "cpu.rt_period_us"});
    spec::Cpu c;
    c.period = 100000;
    c.quota = 50000;
    auto r = v1::apply_cpu(g.fd(), c);
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "cpu.cfs_period_us"));
    CHECK(g.get("cpu.cfs_quota_us") == ""); // period is first

    spec::Cpu rt;
    rt.realtime_period = 1000000;
    rt.realtime_runtime = 950000;
    auto e = v1::apply_cpu(g.fd(), rt);
    REQUIRE_FALSE(e.ok());
    CHECK(has(e.error(), "cpu.rt_runtime_us"));
    CHECK(has(e.error(), "linux.resources.cpu.realtimeRuntime"));
    CHECK(g.get("cpu.rt_period_us") == "1000000"); // period before runtime
}

TEST_CASE("cgroup v1 cpuset writes cpus and mems, and inherits only empty values") {
    FakeGroup g({"cpuset.cpus", "cpuset.mems"});
    spec::Cpu c;
    REQUIRE(v1::apply_cpuset(g.fd(), c).ok());
    CHECK(g.get("cpuset.cpus") == "");
    c.cpus = "0-1";
    c.mems = "0";
    REQUIRE(v1::apply_cpuset(g.fd(), c).ok());
    CHECK(g.get("cpuset.cpus") == "0-1");
    CHECK(g.get("cpuset.mems") == "0");

    FakeGroup parent({"cpuset.cpus", "cpuset.mems"});
    parent.put("cpuset.cpus", "0-3\n");
    parent.put("cpuset.mems", "0\n");
    FakeGroup child({"cpuset.cpus", "cpuset.mems"});
    child.put("cpuset.cpus", "\n");
    child.put("cpuset.mems", "1\n");
    REQUIRE(v1::inherit_cpuset(parent.fd(), child.fd()).ok());
    CHECK(child.get("cpuset.cpus") == "0-3");
    CHECK(child.get("cpuset.mems") == "1\n");

    FakeGroup empty_parent({"cpuset.cpus", "cpuset.mems"});
    FakeGroup orphan({"cpuset.cpus", "cpuset.mems"});
    auto r = v1::inherit_cpuset(empty_parent.fd(), orphan.fd());
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "cpuset.cpus"));

    FakeGroup missing({"cpuset.cpus"});
    auto m = v1::inherit_cpuset(parent.fd(), missing.fd());
    REQUIRE_FALSE(m.ok());
    CHECK(has(m.error(), "cpuset.mems"));
}

TEST_CASE("cgroup v1 pids writes a number or max") {
    FakeGroup g({"pids.max"});
    spec::Pids p;
    REQUIRE(v1::apply_pids(g.fd(), p).ok());
    p.limit = 0;
    REQUIRE(v1::apply_pids(g.fd(), p).ok());
    CHECK(g.get("pids.max") == "");
    p.limit = -1;
    REQUIRE(v1::apply_pids(g.fd(), p).ok());
    CHECK(g.get("pids.max") == "max");
    g.put("pids.max", "");
    p.limit = 100;
    REQUIRE(v1::apply_pids(g.fd(), p).ok());
    CHECK(g.get("pids.max") == "100");

    FakeGroup none({});
    auto r = v1::apply_pids(none.fd(), p);
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "pids.max"));
    CHECK(has(r.error(), "linux.resources.pids.limit"));
}

TEST_CASE("cgroup v1 blkio writes weights and throttles per device") {
    spec::BlockIo b;
    b.weight = 500;
    b.leaf_weight = 300;
    b.weight_device.push_back({8, 0, 400, 200});
    b.throttle_read_bps.push_back({8, 0, 1048576});
    b.throttle_write_bps.push_back({8, 16, 2097152});
    b.throttle_read_iops.push_back({8, 0, 100});
    b.throttle_write_iops.push_back({8, 16, 200});

    SUBCASE("cfq files") {
        FakeGroup g({"blkio.weight", "blkio.leaf_weight", "blkio.weight_device",
                     "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
                     "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
                     "blkio.throttle.write_iops_device"});
        REQUIRE(v1::apply_blkio(g.fd(), b).ok());
        CHECK(g.get("blkio.weight") == "500");
        CHECK(g.get("blkio.leaf_weight") == "300");
        CHECK(g.get("blkio.weight_device") == "8:0 400");
        CHECK(g.get("blkio.leaf_weight_device") == "8:0 200");
        CHECK(g.get("blkio.throttle.read_bps_device") == "8:0 1048576");
        CHECK(g.get("blkio.throttle.write_bps_device") == "8:16 2097152");
        CHECK(g.get("blkio.throttle.read_iops_device") == "8:0 100");
        CHECK(g.get("blkio.throttle.write_iops_device") == "8:16 200");
    }
    SUBCASE("bfq files when blkio.weight is absent") {
        FakeGroup g({"blkio.bfq.weight", "blkio.bfq.weight_device"});
        spec::BlockIo w;
        w.weight = 500;
        w.weight_device.push_back({8, 0, 400, std::nullopt});
        REQUIRE(v1::apply_blkio(g.fd(), w).ok());
        CHECK(g.get("blkio.bfq.weight") == "500");
        CHECK(g.get("blkio.bfq.weight_device") == "8:0 400");
    }
    SUBCASE("one write per device") {
        FakeGroup g({"blkio.throttle.read_bps_device"});
        spec::BlockIo t;
        t.throttle_read_bps.push_back({8, 0, 1048576});
        t.throttle_read_bps.push_back({8, 16, 5});
        REQUIRE(v1::apply_blkio(g.fd(), t).ok());
        // Two writes at offset 0: the second ("8:16 5") over the first.
        CHECK(g.get("blkio.throttle.read_bps_device") == "8:16 548576");
    }
    SUBCASE("nothing set, nothing written; a missing file is named") {
        FakeGroup g({});
        REQUIRE(v1::apply_blkio(g.fd(), spec::BlockIo{}).ok());
        auto r = v1::apply_blkio(g.fd(), b);
        REQUIRE_FALSE(r.ok());
        CHECK(has(r.error(), "blkio.bfq.weight"));
        CHECK(has(r.error(), "linux.resources.blockIO.weight"));
    }
}

TEST_CASE("cgroup v1 hugetlb writes limit and rsvd limit per page size") {
    FakeGroup g({"hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes",
                 "hugetlb.1GB.limit_in_bytes"});
    REQUIRE(v1::apply_hugetlb(g.fd(), {}).ok());
    CHECK(g.get("hugetlb.2MB.limit_in_bytes") == "");
    REQUIRE(v1::apply_hugetlb(g.fd(), {{"2MB", 4194304}}).ok());
    CHECK(g.get("hugetlb.2MB.limit_in_bytes") == "4194304");
    CHECK(g.get("hugetlb.2MB.rsvd.limit_in_bytes") == "4194304");
    // An older kernel without rsvd files: the plain limit alone.
    REQUIRE(v1::apply_hugetlb(g.fd(), {{"1GB", 1073741824}}).ok());
    CHECK(g.get("hugetlb.1GB.limit_in_bytes") == "1073741824");

    auto r = v1::apply_hugetlb(g.fd(), {{"64KB", 65536}});
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "linux.resources.hugepageLimits:"));
    CHECK(has(r.error(), "\"64KB\""));
}

TEST_CASE("cgroup v1 net_cls and net_prio") {
    FakeGroup g({"net_cls.classid", "net_prio.ifpriomap"});
    spec::Network n;
    REQUIRE(v1::apply_net_cls(g.fd(), n).ok());
    REQUIRE(v1::apply_net_prio(g.fd(), n).ok());
    CHECK(g.get("net_cls.classid") == "");
    CHECK(g.get("net_prio.ifpriomap") == "");
    n.class_id = 0x100001;
    n.priorities = {{"eth0", 5}, {"lo", 1}};
    REQUIRE(v1::apply_net_cls(g.fd(), n).ok());
    REQUIRE(v1::apply_net_prio(g.fd(), n).ok());
    CHECK(g.get("net_cls.classid") == "1048577");
    // One write per interface, each at offset 0: "lo 1" over "eth0 5".
    CHECK(g.get("net_prio.ifpriomap") == "lo 1 5");

    FakeGroup none({});
    auto r = v1::apply_net_cls(none.fd(), n);
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "net_cls.classid"));
}

TEST_CASE("cgroup v1 rdma writes the keys that are set") {
    FakeGroup g({"rdma.max"});
    REQUIRE(v1::apply_rdma(g.fd(), {{"mlx4_0", spec::Rdma{}}}).ok());
    CHECK(g.get("rdma.max") == "");
    REQUIRE(v1::apply_rdma(g.fd(), {{"mlx4_0", spec::Rdma{2, 3}}}).ok());
    CHECK(g.get("rdma.max") == "mlx4_0 hca_handle=2 hca_object=3");
    g.put("rdma.max", "");
    REQUIRE(v1::apply_rdma(g.fd(), {{"mlx5_1", spec::Rdma{std::nullopt, 9}}}).ok());
    CHECK(g.get("rdma.max") == "mlx5_1 hca_object=9");
}

TEST_CASE("cgroup v1 freezer on a group that reports FROZEN") {
    FakeGroup g({});
    g.put("freezer.state", "FROZEN\n");
    REQUIRE(v1::freeze(g.fd()).ok());
    CHECK(g.get("freezer.state") == "FROZEN\n");
    auto f = v1::frozen(g.fd());
    REQUIRE(f.ok());
    CHECK(*f);
    // Frozen only through an ancestor is not paused (as runc).
    g.put("freezer.self_freezing", "0\n");
    CHECK_FALSE(*v1::frozen(g.fd()));
    g.put("freezer.self_freezing", "1\n");
    CHECK(*v1::frozen(g.fd()));

    REQUIRE(v1::thaw(g.fd()).ok());
    CHECK(g.get("freezer.state") == "THAWED\n");
    CHECK_FALSE(*v1::frozen(g.fd()));
    g.put("freezer.state", "FREEZING\n");
    CHECK_FALSE(*v1::frozen(g.fd()));
    g.put("freezer.state", "BOGUS\n");
    CHECK_FALSE(v1::frozen(g.fd()).ok());

    g.remove("freezer.state");
    auto r = v1::freeze(g.fd());
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "freezer.state"));
}

TEST_CASE("cgroup v1 freezer gives up on a group stuck in FREEZING and thaws it") {
    FakeGroup g({"freezer.state"});
    auto stuck = [](int) -> Result<std::string> { return std::string("FREEZING"); };
    auto start = std::chrono::steady_clock::now();
    auto r = v1::detail::freeze_until(g.fd(), std::chrono::milliseconds(50), stuck);
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.ok());
    CHECK(has(r.error(), "still freezing"));
    CHECK(g.get("freezer.state") == "THAWED");
    CHECK(took >= std::chrono::milliseconds(50));
    CHECK(took < std::chrono::seconds(2));

    auto odd = [](int) -> Result<std::string> { return std::string("WEIRD"); };
    g.put("freezer.state", "");
    auto e = v1::detail::freeze_until(g.fd(), std::chrono::milliseconds(50), odd);
    REQUIRE_FALSE(e.ok());
    CHECK(has(e.error(), "WEIRD"));
    CHECK(g.get("freezer.state") == "THAWED");
}

TEST_CASE("cgroup v1 cpu stats from cpuacct and cpu.stat") {
    FakeGroup acct({});
    acct.put("cpuacct.usage", "16017930058315\n");
    acct.put("cpuacct.usage_percpu", "7875447438693 8142497557125 \n");
    acct.put("cpuacct.usage_percpu_sys", "2194856000000 2209452000000 \n");
    acct.put("cpuacct.usage_percpu_user", "5632868000000 5891788000000 \n");
    acct.put("cpuacct.stat", "user 1158901\nsystem 442890\n");
    FakeGroup cpu({});
    cpu.put("cpu.stat", "nr_periods 120\nnr_throttled 7\nthrottled_time 3500000\nnr_bursts 0\n"
                        "burst_time 0\n");
    CpuStats s;
    v1::read_cpu_stats(cpu.fd(), acct.fd(), s);
    uint64_t tick = 1000000000ULL / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    CHECK(s.total == 16017930058315ULL);
    CHECK(s.percpu == std::vector<uint64_t>{7875447438693ULL, 8142497557125ULL});
    CHECK(s.percpu_kernel == std::vector<uint64_t>{2194856000000ULL, 2209452000000ULL});
    CHECK(s.percpu_user == std::vector<uint64_t>{5632868000000ULL, 5891788000000ULL});
    CHECK(s.user == 1158901ULL * tick);
    CHECK(s.kernel == 442890ULL * tick);
    CHECK(s.periods == 120);
    CHECK(s.throttled_periods == 7);
    CHECK(s.throttled_time == 3500000);

    // Missing hierarchy or files: zeros.
    CpuStats none;
    v1::read_cpu_stats(-1, cpu.fd(), none);
    CHECK(none.total == 0);
    CHECK(none.percpu.empty());
    CHECK(none.periods == 0);
}

TEST_CASE("cgroup v1 memory and oom stats") {
    FakeGroup g({});
    g.put("memory.usage_in_bytes", "14614528\n");
    g.put("memory.max_usage_in_bytes", "24576000\n");
    g.put("memory.limit_in_bytes", "9223372036854771712\n");
    g.put("memory.failcnt", "0\n");
    g.put("memory.memsw.usage_in_bytes", "14620672\n");
    g.put("memory.memsw.max_usage_in_bytes", "24600000\n");
    g.put("memory.memsw.limit_in_bytes", "9223372036854771712\n");
    g.put("memory.memsw.failcnt", "2\n");
    g.put("memory.kmem.usage_in_bytes", "1323008\n");
    g.put("memory.kmem.tcp.usage_in_bytes", "4096\n");
    g.put("memory.kmem.tcp.limit_in_bytes", "9223372036854771712\n");
    g.put("memory.stat", "cache 9334784\nrss 5279744\nrss_huge 0\nshmem 9166848\n"
                         "mapped_file 7733248\nhierarchical_memory_limit 9223372036854771712\n"
                         "total_cache 113606656\n");
    g.put("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    MemoryStats m;
    v1::read_memory_stats(g.fd(), m);
    CHECK(m.usage.usage == 14614528);
    CHECK(m.usage.max == 24576000);
    CHECK(m.usage.limit == 9223372036854771712ULL);
    CHECK(m.swap.usage == 14620672);
    CHECK(m.swap.max == 24600000);
    CHECK(m.swap.failcnt == 2);
    CHECK(m.kernel.usage == 1323008);
    CHECK(m.kernel.limit == 0); // no file
    CHECK(m.kernel_tcp.usage == 4096);
    CHECK(m.kernel_tcp.limit == 9223372036854771712ULL);
    CHECK(m.cache == 9334784);
    CHECK(m.raw.at("rss") == 5279744);
    CHECK(m.raw.at("total_cache") == 113606656);

    auto kills = v1::read_oom_kills(g.fd());
    REQUIRE(kills.ok());
    CHECK(*kills == 3);
    g.put("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n"); // before 4.13
    CHECK(*v1::read_oom_kills(g.fd()) == 0);
    g.remove("memory.oom_control");
    auto gone = v1::read_oom_kills(g.fd());
    REQUIRE_FALSE(gone.ok());
    CHECK(has(gone.error(), "memory.oom_control"));
}

TEST_CASE("cgroup v1 pids stats") {
    FakeGroup g({});
    g.put("pids.current", "3\n");
    g.put("pids.max", "max\n");
    PidsStats p;
    v1::read_pids_stats(g.fd(), p);
    CHECK(p.current == 3);
    CHECK(p.limit == 0);
    g.put("pids.max", "100\n");
    v1::read_pids_stats(g.fd(), p);
    CHECK(p.limit == 100);
}

TEST_CASE("cgroup v1 blkio stats skip the summary line and empty sources") {
    FakeGroup g({});
    // BFQ loaded but not the scheduler of any device: only the summary.
    g.put("blkio.bfq.io_service_bytes_recursive", "Total 0\n");
    g.put("blkio.bfq.io_serviced_recursive", "Total 0\n");
    g.put("blkio.throttle.io_service_bytes_recursive",
          "8:0 Read 1048576\n8:0 Write 4096\n8:0 Sync 1052672\n8:0 Async 0\n"
          "8:0 Discard 0\n8:0 Total 1052672\nTotal 1052672\n");
    g.put("blkio.throttle.io_serviced_recursive",
          "8:0 Read 12\n8:0 Write 1\n8:0 Sync 13\n8:0 Async 0\n8:0 Discard 0\n"
          "8:0 Total 13\nTotal 13\n");
    BlkioStats b;
    v1::read_blkio_stats(g.fd(), b);
    REQUIRE(b.io_service_bytes_recursive.size() == 6);
    CHECK(b.io_service_bytes_recursive[0].major == 8);
    CHECK(b.io_service_bytes_recursive[0].minor == 0);
    CHECK(b.io_service_bytes_recursive[0].op == "Read");
    CHECK(b.io_service_bytes_recursive[0].value == 1048576);
    CHECK(b.io_service_bytes_recursive[5].op == "Total");
    REQUIRE(b.io_serviced_recursive.size() == 6);
    CHECK(b.io_serviced_recursive[1].op == "Write");
    CHECK(b.io_serviced_recursive[1].value == 1);

    // Old kernels: only the non-recursive throttle files.
    FakeGroup old({});
    old.put("blkio.throttle.io_service_bytes", "253:1 Read 512\nTotal 512\n");
    old.put("blkio.throttle.io_serviced", "253:1 Read 1\nTotal 1\n");
    BlkioStats o;
    v1::read_blkio_stats(old.fd(), o);
    REQUIRE(o.io_service_bytes_recursive.size() == 1);
    CHECK(o.io_service_bytes_recursive[0].major == 253);
    CHECK(o.io_service_bytes_recursive[0].minor == 1);
    CHECK(o.io_serviced_recursive.size() == 1);

    FakeGroup idle({});
    idle.put("blkio.throttle.io_service_bytes_recursive", "Total 0\n");
    BlkioStats i;
    v1::read_blkio_stats(idle.fd(), i);
    CHECK(i.io_service_bytes_recursive.empty());
}

TEST_CASE("cgroup v1 hugetlb stats per page size") {
    FakeGroup g({});
    g.put("hugetlb.2MB.usage_in_bytes", "4194304\n");
    g.put("hugetlb.2MB.max_usage_in_bytes", "6291456\n");
    g.put("hugetlb.2MB.failcnt", "1\n");
    g.put("hugetlb.2MB.rsvd.usage_in_bytes", "2097152\n");
    g.put("hugetlb.1GB.usage_in_bytes", "0\n");
    std::map<std::string, HugetlbStats> h;
    v1::read_hugetlb_stats(g.fd(), h);
    REQUIRE(h.size() == 2);
    CHECK(h.at("2MB").usage == 4194304);
    CHECK(h.at("2MB").max == 6291456);
    CHECK(h.at("2MB").failcnt == 1);
    CHECK(h.at("1GB").usage == 0);
}
