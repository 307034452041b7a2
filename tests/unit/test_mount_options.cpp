#include <doctest/doctest.h>

#include <sys/mount.h>

#include "ns/mount_options.hpp"

using corral::ns::parse_mount_options;
using corral::ns::propagation_flag;

TEST_CASE("mount options: plain flags and data") {
    auto o = parse_mount_options({"nosuid", "noexec", "nodev", "mode=755", "size=65536k"});
    CHECK(o.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
    CHECK(o.clear == 0);
    CHECK(o.data == "mode=755,size=65536k");
    CHECK_FALSE(o.bind);
    CHECK(o.propagation == 0);
}

TEST_CASE("mount options: the last of a pair wins") {
    auto o = parse_mount_options({"ro", "rw"});
    CHECK((o.flags & MS_RDONLY) == 0);
    CHECK(o.clear == MS_RDONLY);
    o = parse_mount_options({"rw", "ro"});
    CHECK(o.flags == MS_RDONLY);
    CHECK(o.clear == 0);
    o = parse_mount_options({"nosuid", "suid", "dev", "nodev"});
    CHECK(o.flags == MS_NODEV);
    CHECK(o.clear == MS_NOSUID);
}

TEST_CASE("mount options: every known word is a flag, not data") {
    auto o = parse_mount_options({"defaults", "sync", "dirsync", "remount", "mand", "atime",
                                  "diratime", "nodiratime", "lazytime", "silent", "exec", "async",
                                  "nomand", "loud", "nolazytime", "nosymfollow"});
    CHECK(o.data.empty());
    CHECK((o.flags & MS_DIRSYNC));
    CHECK((o.flags & MS_REMOUNT));
    CHECK((o.flags & MS_NODIRATIME));
    CHECK((o.flags & MS_NOSYMFOLLOW));
    CHECK((o.flags & (MS_SYNCHRONOUS | MS_MANDLOCK | MS_SILENT | MS_LAZYTIME)) == 0);
    CHECK((o.clear & (MS_SYNCHRONOUS | MS_MANDLOCK | MS_SILENT | MS_LAZYTIME | MS_NOEXEC)) ==
          (MS_SYNCHRONOUS | MS_MANDLOCK | MS_SILENT | MS_LAZYTIME | MS_NOEXEC));
}

TEST_CASE("mount options: atime modes exclude each other") {
    auto o = parse_mount_options({"relatime", "noatime"});
    CHECK(o.flags == MS_NOATIME);
    CHECK((o.clear & MS_RELATIME));
    o = parse_mount_options({"noatime", "strictatime"});
    CHECK(o.flags == MS_STRICTATIME);
    CHECK((o.clear & MS_NOATIME));
    CHECK((o.clear & MS_STRICTATIME) == 0);
    o = parse_mount_options({"norelatime", "nostrictatime"});
    CHECK(o.flags == 0);
    CHECK(o.clear == (MS_RELATIME | MS_STRICTATIME));
}

TEST_CASE("mount options: bind and rbind") {
    auto o = parse_mount_options({"bind", "ro"});
    CHECK(o.bind);
    CHECK_FALSE(o.recursive);
    CHECK(o.flags == (MS_BIND | MS_RDONLY));
    o = parse_mount_options({"rbind"});
    CHECK(o.bind);
    CHECK(o.recursive);
    CHECK(o.flags == (MS_BIND | MS_REC));
}

TEST_CASE("mount options: propagation words") {
    CHECK(propagation_flag("shared") == MS_SHARED);
    CHECK(propagation_flag("rshared") == (MS_SHARED | MS_REC));
    CHECK(propagation_flag("slave") == MS_SLAVE);
    CHECK(propagation_flag("rslave") == (MS_SLAVE | MS_REC));
    CHECK(propagation_flag("private") == MS_PRIVATE);
    CHECK(propagation_flag("rprivate") == (MS_PRIVATE | MS_REC));
    CHECK(propagation_flag("unbindable") == MS_UNBINDABLE);
    CHECK(propagation_flag("runbindable") == (MS_UNBINDABLE | MS_REC));
    CHECK(propagation_flag("rshard") == 0);
    auto o = parse_mount_options({"rbind", "rprivate", "slave"});
    CHECK(o.propagation == MS_SLAVE);
    CHECK((o.flags & (MS_SLAVE | MS_PRIVATE)) == 0);
}

TEST_CASE("mount options: recursive attributes") {
    auto o = parse_mount_options({"rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"});
    CHECK(o.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                         MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW));
    CHECK(o.attr_clr == 0);
    CHECK(o.flags == 0);
    CHECK(o.data.empty());
    o = parse_mount_options({"rro", "rrw", "rsuid"});
    CHECK(o.attr_set == 0);
    CHECK(o.attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
    // The kernel insists on the whole atime field being cleared.
    o = parse_mount_options({"rnoatime"});
    CHECK(o.attr_set == MOUNT_ATTR_NOATIME);
    CHECK(o.attr_clr == MOUNT_ATTR__ATIME);
    o = parse_mount_options({"rnoatime", "rstrictatime"});
    CHECK(o.attr_set == MOUNT_ATTR_STRICTATIME);
    CHECK(o.attr_clr == MOUNT_ATTR__ATIME);
}

TEST_CASE("mount options: idmap, tmpcopyup and unknown words") {
    auto o = parse_mount_options({"idmap"});
    CHECK(o.idmap);
    CHECK_FALSE(o.idmap_recursive);
    o = parse_mount_options({"ridmap"});
    CHECK(o.idmap);
    CHECK(o.idmap_recursive);
    o = parse_mount_options({"tmpcopyup", "", "newinstance", "ptmxmode=0666", "gid=5"});
    CHECK(o.tmpcopyup);
    CHECK(o.data == "newinstance,ptmxmode=0666,gid=5");
}
