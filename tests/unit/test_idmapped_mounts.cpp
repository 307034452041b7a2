// ID-mapped mounts: which mapping a mount gets (plan), which configs are
// refused (validate), and, as root, the parent-side preparation.
#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <linux/nsfs.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/idmapped_mount.hpp"
#include "ns/rootfs_plan.hpp"
#include "spec/spec.hpp"
#include "spec/validate.hpp"

namespace fs = std::filesystem;
using namespace corral;
using corral::ns::plan_rootfs;

namespace {

struct Bundle {
    fs::path dir;
    Bundle() {
        char tmpl[] = "/tmp/corral-idmapped-XXXXXX";
        dir = ::mkdtemp(tmpl);
        fs::create_directories(dir / "rootfs");
        fs::create_directories(dir / "volume");
        std::ofstream(dir / "volume" / "f") << "x\n";
    }
    ~Bundle() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

const std::vector<spec::IdMapping> kContainerMaps = {{0, 100000, 65536}};
const std::vector<spec::IdMapping> kMountMaps = {{0, 200000, 1000}};

spec::Spec base_spec(bool userns) {
    spec::Spec s;
    s.oci_version = "1.2.0";
    s.root.path = "rootfs";
    spec::Process p;
    p.args = {"sh"};
    p.cwd = "/";
    s.process = p;
    s.linux.emplace();
    s.linux->namespaces = {{"pid", ""}, {"mount", ""}};
    if (userns) {
        s.linux->namespaces.push_back({"user", ""});
        s.linux->uid_mappings = kContainerMaps;
        s.linux->gid_mappings = kContainerMaps;
    }
    return s;
}

spec::Mount bind(std::vector<std::string> options, std::vector<spec::IdMapping> maps = {}) {
    spec::Mount m;
    m.destination = "/v";
    m.type = "bind";
    m.source = "volume";
    m.options = std::move(options);
    m.uid_mappings = maps;
    m.gid_mappings = maps;
    return m;
}

Result<ns::MountPlan> plan_one(const spec::Spec& s, const Bundle& b) {
    auto plan = plan_rootfs(s, b.dir.string(), false);
    if (!plan) return plan.error();
    REQUIRE(plan->mounts.size() == 1);
    return plan->mounts[0];
}

std::string validate(const spec::Spec& s, const Bundle& b) {
    auto r = spec::validate_spec(s, b.dir.string());
    return r.ok() ? "ok" : r.error().message();
}

bool same_maps(const std::vector<spec::IdMapping>& a, const std::vector<spec::IdMapping>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].container_id != b[i].container_id || a[i].host_id != b[i].host_id ||
            a[i].size != b[i].size)
            return false;
    return true;
}

} // namespace

TEST_CASE("idmapped plan: idmap takes the container's maps, ridmap is recursive") {
    Bundle b;
    auto s = base_spec(true);
    s.mounts = {bind({"rbind", "idmap"})};
    auto m = plan_one(s, b);
    REQUIRE(m.ok());
    CHECK(m->idmap);
    CHECK_FALSE(m->idmap_recursive);
    CHECK(m->recursive);
    CHECK(same_maps(m->idmap_uids, kContainerMaps));
    CHECK(same_maps(m->idmap_gids, kContainerMaps));
    CHECK(m->idmap_userns.empty());
    CHECK(m->tree_fd == -1); // the parent fills it right before clone

    s.mounts = {bind({"bind", "ridmap"})};
    m = plan_one(s, b);
    REQUIRE(m.ok());
    CHECK(m->idmap);
    CHECK(m->idmap_recursive);
    CHECK_FALSE(m->recursive);
}

TEST_CASE("idmapped plan: a mount's own maps win, and imply idmap without the option") {
    Bundle b;
    auto s = base_spec(true);
    s.mounts = {bind({"rbind", "idmap"}, kMountMaps)};
    auto m = plan_one(s, b);
    REQUIRE(m.ok());
    CHECK(same_maps(m->idmap_uids, kMountMaps));
    // runtime-spec 1.1 configs carry the fields without the (SHOULD) option.
    s.mounts = {bind({"rbind"}, kMountMaps)};
    m = plan_one(s, b);
    REQUIRE(m.ok());
    CHECK(m->idmap);
    CHECK_FALSE(m->idmap_recursive);
    CHECK(same_maps(m->idmap_gids, kMountMaps));
    // Own maps need no user namespace at all.
    s = base_spec(false);
    s.mounts = {bind({"bind", "idmap"}, kMountMaps)};
    CHECK(plan_one(s, b).ok());
    CHECK(validate(s, b) == "ok");
}

TEST_CASE("idmapped plan: a joined user namespace lends its own mapping") {
    Bundle b;
    auto s = base_spec(false);
    s.linux->namespaces.push_back({"user", "/proc/1/ns/user"});
    s.mounts = {bind({"bind", "idmap"})};
    auto m = plan_one(s, b);
    REQUIRE(m.ok());
    CHECK(m->idmap_userns == "/proc/1/ns/user");
    CHECK(m->idmap_uids.empty());
}

TEST_CASE("idmapped plan: refusals") {
    Bundle b;
    auto s = base_spec(false);
    s.mounts = {bind({"rbind", "idmap"})};
    auto m = plan_one(s, b);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message() ==
          "mount /v: idmap without uidMappings and gidMappings needs a user namespace");

    s = base_spec(true);
    s.linux->uid_mappings.clear();
    s.mounts = {bind({"rbind", "idmap"})};
    m = plan_one(s, b);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message() == "mount /v: idmap needs linux.uidMappings and linux.gidMappings");

    s = base_spec(true);
    spec::Mount t;
    t.destination = "/t";
    t.type = "tmpfs";
    t.source = "tmpfs";
    t.options = {"idmap"};
    s.mounts = {t};
    m = plan_one(s, b);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message() == "mount /t: id-mapped mounts are only supported for binds");
}

TEST_CASE("idmapped validate: binds only, and idmap without maps needs a user namespace") {
    Bundle b;
    auto s = base_spec(true);
    s.mounts = {bind({"rbind", "idmap"})};
    CHECK(validate(s, b) == "ok");
    s.mounts[0].options = {"rbind", "ridmap"};
    CHECK(validate(s, b) == "ok");

    s = base_spec(false);
    s.mounts = {bind({"rbind", "idmap"})};
    CHECK(validate(s, b) == "config.json: mounts[0]: idmap without uidMappings and gidMappings "
                            "needs a user namespace");
    s.mounts[0].options = {"rbind", "ridmap"};
    CHECK(validate(s, b) != "ok");

    s = base_spec(true);
    s.mounts = {bind({"idmap"})};
    s.mounts[0].type = "tmpfs";
    CHECK(validate(s, b) ==
          "config.json: mounts[0]: id-mapped mounts are only supported for bind mounts");
    // The bind option makes any type a bind.
    s.mounts[0].options = {"bind", "idmap"};
    CHECK(validate(s, b) == "ok");
    // Mappings alone on a non-bind are an id-mapped mount as well.
    s.mounts = {bind({}, kMountMaps)};
    s.mounts[0].type = "tmpfs";
    CHECK(validate(s, b) ==
          "config.json: mounts[0]: id-mapped mounts are only supported for bind mounts");
    // Plain binds are untouched by these rules.
    s.mounts = {bind({"rbind"})};
    CHECK(validate(s, b) == "ok");
}

TEST_CASE("idmapped prepare: nothing to do opens nothing") {
    Bundle b;
    auto s = base_spec(true);
    s.mounts = {bind({"rbind"})};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    auto trees = ns::prepare_idmapped_mounts(*plan);
    REQUIRE(trees.ok());
    CHECK(trees->fds.empty());
    // A joined mount namespace: the rootfs plan is not used.
    s.mounts = {bind({"rbind", "idmap"})};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    trees = ns::prepare_idmapped_mounts(*plan, false);
    REQUIRE(trees.ok());
    CHECK(trees->fds.empty());
    CHECK(plan->mounts[0].tree_fd == -1);
}

TEST_CASE("idmapped prepare (root): mapping namespaces and detached trees") {
    if (::geteuid() != 0) return; // writing arbitrary maps and mount_setattr need root
    Bundle b;
    auto ns = ns::make_mapping_userns(kContainerMaps, kContainerMaps);
    REQUIRE(ns.ok());
    CHECK(::ioctl(ns->get(), NS_GET_NSTYPE) == CLONE_NEWUSER);
    // The helper is already reaped.
    CHECK(::waitpid(-1, nullptr, WNOHANG) <= 0);

    auto s = base_spec(true);
    spec::Mount other = bind({"bind", "ridmap"});
    other.destination = "/w";
    spec::Mount own = bind({"bind", "idmap"}, kMountMaps);
    own.destination = "/o";
    s.mounts = {bind({"rbind", "idmap"}), other, own};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    auto trees = ns::prepare_idmapped_mounts(*plan);
    REQUIRE(trees.ok());
    // Two mappings (one shared by the first two mounts) and three trees.
    CHECK(trees->fds.size() == 5);
    for (const auto& m : plan->mounts) {
        REQUIRE(m.tree_fd >= 0);
        // The tree's root is the source, seen with mapped owners: on-disk 0
        // appears as the host id the mapping gives it.
        struct stat st {};
        REQUIRE(::fstat(m.tree_fd, &st) == 0);
        struct stat src {};
        REQUIRE(::stat((b.dir / "volume").c_str(), &src) == 0);
        CHECK(st.st_ino == src.st_ino);
        CHECK(st.st_uid == (m.destination == "/o" ? 200000u : 100000u));
    }

    // procfs cannot be id-mapped: the error names the destination.
    spec::Mount p = bind({"bind", "idmap"});
    p.source = "/proc/sys";
    s.mounts = {p};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    trees = ns::prepare_idmapped_mounts(*plan);
    REQUIRE_FALSE(trees.ok());
    CHECK(trees.error().message() ==
          "mount /v: the filesystem of /proc/sys does not support id-mapped mounts");
}
