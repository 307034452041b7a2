// In-root resolution (no root needed) and the three rootfs phases run for
// real in a private mount namespace (root only; skipped otherwise). The
// container side runs in a forked grandchild that is PID 1 of a new pid
// namespace and reports through a pipe: doctest macros stay in the parent.
#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unique_fd.hpp"
#include "ns/paths.hpp"
#include "ns/procfs.hpp"
#include "ns/rootfs.hpp"
#include "ns/rootfs_plan.hpp"
#include "spec/spec.hpp"

namespace fs = std::filesystem;
using namespace corral;
using namespace corral::ns;

namespace {

struct TempDir {
    fs::path dir;
    explicit TempDir(const char* tag) {
        std::string tmpl = std::string("/tmp/corral-") + tag + "-XXXXXX";
        dir = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

void write_file(const fs::path& p, const std::string& s) {
    std::ofstream(p) << s;
}

std::string read_fd(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    return out;
}

std::string read_path(const char* path) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    return fd ? read_fd(fd.get()) : std::string("<") + std::strerror(errno) + ">";
}

struct stat stat_of(int fd) {
    struct stat s {};
    ::fstat(fd, &s);
    return s;
}

bool same_file(int fd, const fs::path& p) {
    struct stat a = stat_of(fd), b{};
    return ::lstat(p.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// errno of a failed open-like call, read before doctest can clobber it
// (its reporter writes to the terminal); 0 (closing the fd) on success.
int err_of(int fd) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    return fd >= 0 ? 0 : e;
}

struct FallbackGuard {
    explicit FallbackGuard(bool on) { set_openat2_disabled(on); }
    ~FallbackGuard() { set_openat2_disabled(false); }
};

// A tree whose symlinks all try to leave it.
void build_hostile_tree(const fs::path& r) {
    fs::create_directories(r / "dir/sub");
    fs::create_directories(r / "etc");
    write_file(r / "x", "inside");
    write_file(r / "etc/passwd", "fake");
    fs::create_symlink("/", r / "to_root");
    fs::create_symlink("../../..", r / "up");
    fs::create_symlink("../../../../etc", r / "dir/escape");
    fs::create_symlink("/etc", r / "abs");
    fs::create_symlink("../x", r / "dir/rel");
    fs::create_symlink("loop", r / "loop");
    fs::create_symlink("/made/by/us", r / "dangling");
    fs::create_symlink("../../nowhere/file", r / "dir/dangling_file");
}

std::string child_error_text() {
    const ChildError& e = child_error();
    return std::string(e.op) + " " + e.detail + ": " + std::strerror(e.err);
}

// Runs `body` as PID 1 of fresh mount/pid/uts/ipc namespaces; returns its
// report ("" for success).
std::string in_namespaces(const std::function<std::string()>& body) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        auto report = [&](const std::string& s, int code) {
            (void)!::write(p[1], s.data(), s.size());
            ::_exit(code);
        };
        if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0)
            report(std::string("unshare: ") + std::strerror(errno), 2);
        // Belt and braces: nothing this test mounts may reach the host,
        // even if prepare_rootfs were broken.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            report(std::string("make / rprivate: ") + std::strerror(errno), 2);
        pid_t g = ::fork();
        if (g == 0) {
            std::string r = body();
            report(r, r.empty() ? 0 : 1);
        }
        int st = 0;
        ::waitpid(g, &st, 0);
        ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
    }
    ::close(p[1]);
    std::string msg = read_fd(p[0]);
    ::close(p[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (msg.empty() && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        msg = "child exited with status " + std::to_string(st);
    return msg;
}

} // namespace

TEST_CASE("paths: in-root resolution never leaves the root") {
    for (bool fallback : {false, true}) {
        CAPTURE(fallback);
        FallbackGuard guard(fallback);
        TempDir t("paths");
        const fs::path r = t.dir / "root";
        build_hostile_tree(r);
        UniqueFd root(::open(r.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        REQUIRE(root);

        for (const char* p : {"to_root/x", "up/x", "up/up/../../x", "/../x", "dir/rel",
                              "dir/../dir/sub/../../x", "to_root/to_root/up/x"}) {
            CAPTURE(p);
            UniqueFd fd(open_in_root(root.get(), p, O_RDONLY));
            REQUIRE(fd);
            CHECK(read_fd(fd.get()) == "inside");
        }
        for (const char* p : {"/etc/passwd", "abs/passwd", "dir/escape/passwd", "up/etc/passwd",
                              "to_root/etc/passwd"}) {
            CAPTURE(p);
            UniqueFd fd(open_in_root(root.get(), p, O_RDONLY));
            REQUIRE(fd);
            CHECK(read_fd(fd.get()) == "fake");
        }
        for (const char* p : {"to_root", "up", "dir/escape/..", "/", ""}) {
            CAPTURE(p);
            UniqueFd fd(open_in_root(root.get(), p, O_PATH | O_DIRECTORY));
            REQUIRE(fd);
            CHECK(same_file(fd.get(), r));
        }
        {
            UniqueFd fd(open_in_root(root.get(), "to_root", O_PATH | O_NOFOLLOW));
            REQUIRE(fd);
            CHECK(S_ISLNK(stat_of(fd.get()).st_mode));
        }
        CHECK(err_of(open_in_root(root.get(), "loop", O_RDONLY)) == ELOOP);
        CHECK(err_of(open_in_root(root.get(), "to_root/x", O_RDONLY, RESOLVE_NO_SYMLINKS)) ==
              ELOOP);
        CHECK(err_of(open_in_root(root.get(), "x/y", O_RDONLY)) == ENOTDIR);
        CHECK(err_of(open_in_root(root.get(), "x", O_RDONLY | O_DIRECTORY)) == ENOTDIR);

        // Creation follows dangling links, inside.
        UniqueFd d(mkdir_all_in_root(root.get(), "dangling/sub", 0755));
        REQUIRE(d);
        CHECK(same_file(d.get(), r / "made/by/us/sub"));
        CHECK_FALSE(fs::exists("/made"));
        UniqueFd n(mkdir_all_in_root(root.get(), "up/up/newdir/a/../b", 0755));
        REQUIRE(n);
        CHECK(same_file(n.get(), r / "newdir/b"));
        UniqueFd f(create_mountpoint(root.get(), "up/etc/newfile", false));
        REQUIRE(f);
        CHECK(fs::is_regular_file(r / "etc/newfile"));
        CHECK(same_file(f.get(), r / "etc/newfile"));
        UniqueFd df(create_mountpoint(root.get(), "dir/dangling_file", false));
        REQUIRE(df);
        CHECK(fs::is_regular_file(r / "nowhere/file"));
        UniqueFd again(create_mountpoint(root.get(), "etc/newfile", false));
        CHECK(again);
        CHECK(err_of(create_mountpoint(root.get(), "x", true)) == ENOTDIR);
        CHECK(err_of(create_mountpoint(root.get(), "dir", false)) == EISDIR);
        CHECK(err_of(mkdir_all_in_root(root.get(), "to_root/x/sub", 0755)) == ENOTDIR);
        CHECK(err_of(mkdir_all_in_root(root.get(), "abs/new", 0755, RESOLVE_NO_SYMLINKS)) == ELOOP);
    }
}

namespace {

spec::Mount mnt(std::string dest, std::string type, std::string source,
                std::vector<std::string> options) {
    spec::Mount m;
    m.destination = std::move(dest);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

#define EXPECT(cond, what)                                                                         \
    do {                                                                                           \
        if (!(cond)) return std::string(what) + " (errno: " + std::strerror(errno) + ")";          \
    } while (0)

bool fails_with(int r, int err) {
    return r == -1 && errno == err;
}

std::string check_inside() {
    EXPECT(::getpid() == 1, "not pid 1");
    char cwd[256];
    EXPECT(::getcwd(cwd, sizeof cwd) && std::strcmp(cwd, "/") == 0, "cwd is not /");
    EXPECT(read_path("/etc/hostfile") == "hello", "bound file content");
    EXPECT(fails_with(::open("/etc/hostfile", O_WRONLY), EROFS), "bound file should be ro");
    EXPECT(read_path("/mnt/volfile") == "vol", "bind through ../../.. did not land inside");
    EXPECT(::access("/tmp/.", F_OK) == 0, "tmpfs through the / symlink did not land inside");
    {
        UniqueFd fd(::open("/tmp/w", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        EXPECT(fd, "the tmpfs at /tmp should be writable");
    }
    struct stat s {};
    EXPECT(::stat("/dev/null", &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == makedev(1, 3),
           "/dev/null");
    EXPECT((s.st_mode & 07777) == 0666, "/dev/null mode");
    EXPECT(::stat("/dev/tty", &s) == 0 && s.st_rdev == makedev(5, 0), "/dev/tty");
    EXPECT(::stat("/dev/fuse", &s) == 0 && (s.st_mode & 07777) == 0600 && s.st_uid == 1000,
           "/dev/fuse from linux.devices");
    char link[64] = {};
    EXPECT(::readlink("/dev/fd", link, sizeof link - 1) > 0 &&
               std::strcmp(link, "/proc/self/fd") == 0,
           "/dev/fd link");
    std::memset(link, 0, sizeof link);
    EXPECT(::readlink("/dev/ptmx", link, sizeof link - 1) > 0 && std::strcmp(link, "pts/ptmx") == 0,
           "/dev/ptmx link");
    EXPECT(::stat("/dev/ptmx", &s) == 0 && S_ISCHR(s.st_mode), "/dev/pts/ptmx via the link");
    std::memset(link, 0, sizeof link);
    EXPECT(::readlink("/proc/self", link, sizeof link - 1) > 0 && std::strcmp(link, "1") == 0,
           "our own procfs");
    // Masked: a directory behind an empty read-only tmpfs, a file behind /dev/null.
    struct statfs sfs {};
    EXPECT(::statfs("/secret", &sfs) == 0 && sfs.f_type == 0x01021994, "masked dir is tmpfs");
    EXPECT(::access("/secret/file", F_OK) != 0, "masked dir content visible");
    EXPECT(fails_with(::mkdir("/secret/x", 0755), EROFS), "masked dir writable");
    EXPECT(read_path("/data/maskme").empty(), "masked file readable");
    EXPECT(::stat("/data/maskme", &s) == 0 && s.st_rdev == makedev(1, 3), "masked file is null");
    EXPECT(read_path("/proc/timer_list").empty(), "masked procfs file readable");
    // Absent on kernels without CONFIG_MAGIC_SYSRQ (like this VM's): then skipped.
    EXPECT(::open("/proc/sysrq-trigger", O_WRONLY) == -1 && (errno == EROFS || errno == ENOENT),
           "sysrq-trigger rw");
    // Readonly paths keep working for reads.
    EXPECT(fails_with(::open("/proc/sys/kernel/domainname", O_WRONLY), EROFS), "/proc/sys rw");
    EXPECT(read_path("/data/ro/keep") == "keep", "readonly dir content");
    EXPECT(fails_with(::open("/data/ro/new", O_CREAT | O_WRONLY, 0600), EROFS), "ro dir rw");
    EXPECT(read_path("/vol-ro/volfile") == "vol", "rro bind content");
    EXPECT(fails_with(::open("/vol-ro/volfile", O_WRONLY), EROFS), "rro bind writable");
    EXPECT(write_proc_file("self/oom_score_adj", "123"), "write_proc_file: " + child_error_text());
    EXPECT(read_path("/proc/self/oom_score_adj") == "123\n", "oom_score_adj not written");
    EXPECT(!write_proc_file("self/../../tmp/w", "1"), "write_proc_file left procfs");
    EXPECT(!write_proc_file("self/cwd/tmp/w", "1"), "write_proc_file followed a magic link");
    EXPECT(!write_proc_file("sys/kernel/core_pattern", "|/x"), "core_pattern writable");
    struct utsname u {};
    EXPECT(::uname(&u) == 0 && std::strcmp(u.nodename, "corral-test") == 0, "sysctl hostname");
    EXPECT(fails_with(::mkdir("/newdir", 0755), EROFS), "root should be read-only");
    // Nothing of the host's tree is left: a handful of mounts, all ours
    // (field 5 of mountinfo is the mount point as this process sees it).
    std::string mi = read_path("/proc/self/mountinfo");
    size_t lines = 0, start = 0;
    while (start < mi.size()) {
        size_t end = mi.find('\n', start);
        std::string line = mi.substr(start, end - start);
        start = end == std::string::npos ? mi.size() : end + 1;
        ++lines;
        size_t f = 0;
        for (int i = 0; i < 4 && f != std::string::npos; ++i)
            f = line.find(' ', f + 1);
        std::string point = line.substr(f + 1, line.find(' ', f + 1) - f - 1);
        EXPECT(point.find("corral-") == std::string::npos, "host mount visible: " + line);
    }
    EXPECT(lines >= 10 && lines < 20, "unexpected mount count: " + mi);
    return {};
}

void build_rootfs(const fs::path& t) {
    const fs::path r = t / "bundle/rootfs";
    for (const char* d : {"proc", "etc", "secret", "data/ro", "bin"})
        fs::create_directories(r / d);
    write_file(r / "secret/file", "hidden");
    write_file(r / "data/maskme", "hidden");
    write_file(r / "data/ro/keep", "keep");
    fs::create_symlink("/", r / "evil");
    fs::create_symlink("../../..", r / "up");
    fs::create_directories(t / "volume");
    write_file(t / "volume/volfile", "vol");
    write_file(t / "hostfile", "hello");
}

spec::Spec container_spec(const fs::path& t) {
    spec::Spec s;
    s.root.path = "rootfs";
    s.root.readonly = true;
    s.linux.emplace();
    s.mounts = {
        mnt("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        mnt("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mnt("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666"}),
        mnt("/evil/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev"}),
        mnt("/etc/hostfile", "bind", (t / "hostfile").string(), {"rbind", "ro", "nosuid"}),
        mnt("/up/mnt", "bind", (t / "volume").string(), {"rbind", "rw", "rprivate"}),
        mnt("/vol-ro", "bind", (t / "volume").string(), {"rbind", "rro"}),
    };
    spec::Device fuse;
    fuse.path = "/dev/fuse";
    fuse.type = "c";
    fuse.major = 10;
    fuse.minor = 229;
    fuse.file_mode = 0600;
    fuse.uid = 1000;
    s.linux->devices = {fuse};
    s.linux->masked_paths = {"/secret", "/data/maskme", "/proc/kcore", "/proc/timer_list",
                             "/does/not/exist"};
    s.linux->readonly_paths = {"/proc/sys", "/data/ro", "/proc/sysrq-trigger"};
    s.linux->sysctl = {{"kernel.hostname", "corral-test"}};
    return s;
}

} // namespace

TEST_CASE("rootfs: prepare, enter and finish build the container view") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: needs root");
        return;
    }
    std::string mounts_before = read_path("/proc/self/mountinfo");
    for (int variant = 0; variant < 6; ++variant) {
        bool fallback = variant == 1, no_pivot = variant == 2;
        std::string propagation = variant == 3   ? "rshared"
                                  : variant == 4 ? "rslave"
                                  : variant == 5 ? "runbindable"
                                                 : "";
        CAPTURE(fallback);
        CAPTURE(no_pivot);
        CAPTURE(propagation);
        TempDir t("rootfs");
        build_rootfs(t.dir);
        auto s = container_spec(t.dir);
        s.linux->rootfs_propagation = propagation;
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), no_pivot);
        REQUIRE(plan.ok());
        std::string r = in_namespaces([&]() -> std::string {
            set_openat2_disabled(fallback);
            if (!prepare_rootfs(*plan)) return "prepare: " + child_error_text();
            if (!enter_rootfs(*plan)) return "enter: " + child_error_text();
            if (!finish_rootfs(*plan)) return "finish: " + child_error_text();
            if (std::string r = check_inside(); !r.empty()) return r;
            std::string mi = read_path("/proc/self/mountinfo");
            std::string first = mi.substr(0, mi.find('\n'));
            bool shared = first.find(" shared:") != std::string::npos;
            bool unbindable = first.find(" unbindable ") != std::string::npos;
            if (shared != (propagation == "rshared") ||
                unbindable != (propagation == "runbindable"))
                return "root propagation: " + first;
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
        // The escapes landed inside the rootfs, not on the host.
        CHECK(fs::exists(t.dir / "bundle/rootfs/mnt"));
        CHECK(fs::exists(t.dir / "bundle/rootfs/tmp"));
        CHECK_FALSE(fs::exists("/mnt/volfile"));
        CHECK(read_path((t.dir / "hostfile").c_str()) == "hello");
    }
    CHECK(read_path("/proc/self/mountinfo") == mounts_before);
}

TEST_CASE("rootfs: hostile /dev, /proc and /dev/null are refused") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: needs root");
        return;
    }
    std::string mounts_before = read_path("/proc/self/mountinfo");

    SUBCASE("/dev is a symlink out of the rootfs") {
        TempDir t("devlink");
        TempDir outside("outside");
        fs::create_directories(t.dir / "bundle/rootfs");
        fs::create_symlink(outside.dir, t.dir / "bundle/rootfs/dev");
        spec::Spec s;
        s.root.path = "rootfs";
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
        REQUIRE(plan.ok());
        std::string r = in_namespaces([&]() -> std::string {
            if (prepare_rootfs(*plan)) return "prepare accepted a symlinked /dev";
            if (child_error().err != ELOOP) return "unexpected error: " + child_error_text();
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
        CHECK(fs::is_empty(outside.dir));
    }

    SUBCASE("/proc is a symlink") {
        TempDir t("proclink");
        fs::create_directories(t.dir / "bundle/rootfs/elsewhere");
        fs::create_symlink("/elsewhere", t.dir / "bundle/rootfs/proc");
        spec::Spec s;
        s.root.path = "rootfs";
        s.mounts = {mnt("/proc", "proc", "proc", {})};
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
        REQUIRE(plan.ok());
        std::string r = in_namespaces([&]() -> std::string {
            if (prepare_rootfs(*plan)) return "prepare accepted a symlinked /proc";
            if (child_error().err != ELOOP) return "unexpected error: " + child_error_text();
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
    }

    SUBCASE("a mount steered into procfs by a symlink") {
        TempDir t("procsteer");
        fs::create_directories(t.dir / "bundle/rootfs/proc");
        fs::create_symlink("/proc/sys/kernel", t.dir / "bundle/rootfs/data");
        fs::create_directories(t.dir / "volume");
        spec::Spec s;
        s.root.path = "rootfs";
        s.mounts = {mnt("/proc", "proc", "proc", {}),
                    mnt("/data", "bind", (t.dir / "volume").string(), {"rbind"})};
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
        REQUIRE(plan.ok());
        std::string r = in_namespaces([&]() -> std::string {
            if (prepare_rootfs(*plan)) return "prepare mounted over /proc/sys/kernel";
            if (child_error().err != EXDEV) return "unexpected error: " + child_error_text();
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
    }

    SUBCASE("/dev/null is a symlink when masking (CVE-2025-31133)") {
        TempDir t("nulllink");
        const fs::path r0 = t.dir / "bundle/rootfs";
        fs::create_directories(r0 / "dev");
        fs::create_directories(r0 / "proc");
        write_file(r0 / "canary", "canary");
        write_file(r0 / "masked", "secret");
        fs::create_symlink("/canary", r0 / "dev/null");
        spec::Spec s;
        s.root.path = "rootfs";
        s.mounts = {mnt("/proc", "proc", "proc", {})};
        s.linux.emplace();
        s.linux->masked_paths = {"/masked"};
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
        REQUIRE(plan.ok());
        plan->devices.clear(); // reach the masking step with the hostile node in place
        plan->create_default_devices = false;
        std::string r = in_namespaces([&]() -> std::string {
            if (!prepare_rootfs(*plan)) return "prepare: " + child_error_text();
            if (!enter_rootfs(*plan)) return "enter: " + child_error_text();
            if (finish_rootfs(*plan)) return "masked through a symlinked /dev/null";
            if (child_error().err != ELOOP) return "unexpected error: " + child_error_text();
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
        CHECK(read_path((r0 / "canary").c_str()) == "canary");
    }

    SUBCASE("a device node that is a symlink") {
        TempDir t("nodelink");
        const fs::path r0 = t.dir / "bundle/rootfs";
        fs::create_directories(r0 / "dev");
        write_file(t.dir / "canary", "canary");
        fs::create_symlink((t.dir / "canary").string(), r0 / "dev/zero");
        spec::Spec s;
        s.root.path = "rootfs";
        auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
        REQUIRE(plan.ok());
        std::string r = in_namespaces([&]() -> std::string {
            if (prepare_rootfs(*plan)) return "prepare accepted a symlinked /dev/zero";
            if (child_error().err != ELOOP) return "unexpected error: " + child_error_text();
            return {};
        });
        CHECK_MESSAGE(r.empty(), r);
        CHECK(read_path((t.dir / "canary").c_str()) == "canary");
    }
    CHECK(read_path("/proc/self/mountinfo") == mounts_before);
}

TEST_CASE("rootfs: existing /dev nodes are kept, replaced or covered; no procfs needed") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: needs root");
        return;
    }
    std::string mounts_before = read_path("/proc/self/mountinfo");
    TempDir t("devnodes");
    const fs::path r0 = t.dir / "bundle/rootfs";
    fs::create_directories(r0 / "dev");
    REQUIRE(::mknod((r0 / "dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    REQUIRE(::mknod((r0 / "dev/zero").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0); // wrong
    write_file(r0 / "dev/full", "");
    struct stat null_st {};
    REQUIRE(::stat((r0 / "dev/null").c_str(), &null_st) == 0);
    spec::Spec s;
    s.root.path = "rootfs";
    s.root.readonly = true;
    s.linux.emplace();
    spec::Device tun;
    tun.path = "/dev/net/tun";
    tun.type = "c";
    tun.major = 10;
    tun.minor = 200;
    s.linux->devices = {tun};
    auto plan = plan_rootfs(s, (t.dir / "bundle").string(), false);
    REQUIRE(plan.ok());
    std::string r = in_namespaces([&]() -> std::string {
        if (!prepare_rootfs(*plan)) return "prepare: " + child_error_text();
        if (!enter_rootfs(*plan)) return "enter: " + child_error_text();
        if (!finish_rootfs(*plan)) return "finish: " + child_error_text();
        struct stat st {};
        EXPECT(::stat("/dev/null", &st) == 0 && st.st_ino == null_st.st_ino, "/dev/null replaced");
        EXPECT(::stat("/dev/zero", &st) == 0 && st.st_rdev == makedev(1, 5), "/dev/zero kept");
        EXPECT(::stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 7),
               "/dev/full not covered by the host node");
        EXPECT(::stat("/dev/net/tun", &st) == 0 && st.st_rdev == makedev(10, 200), "/dev/net/tun");
        EXPECT(fails_with(::mkdir("/x", 0755), EROFS), "root should be read-only");
        return {};
    });
    CHECK_MESSAGE(r.empty(), r);
    CHECK(read_path("/proc/self/mountinfo") == mounts_before);
}
