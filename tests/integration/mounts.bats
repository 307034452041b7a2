#!/usr/bin/env bats
# Mounts: every mount type and option of the config as the container's mountinfo shows it and
# as it behaves (EROFS, noexec), the root filesystem (readonly, propagation, --no-pivot), and
# masked and read-only paths.

load lib/common

# A host directory to bind, with one file in it.
make_source() {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	echo hello >"$SRC/data"
}

@test "bind ro: readable, writes fail with EROFS, ro in mountinfo" {
	make_source
	update_config "args('sh', '-c', 'probe read /mnt/ro/data; probe write /mnt/ro/new x; probe mounts')
mount('/mnt/ro', 'bind', '$SRC', 'bind', 'ro')"
	run corral run "$CID"
	assert_status 0
	assert_line hello
	assert_line "probe: open /mnt/ro/new: Read-only file system (EROFS)"
	assert_mnt_opt /mnt/ro ro
	[ "$(mnt_field /mnt/ro root)" = "$SRC" ]
	[ ! -e "$SRC/new" ]
}

@test "bind rw: writes reach the host directory" {
	make_source
	update_config "args('probe', 'write', '/mnt/rw/new', 'from-container')
mount('/mnt/rw', 'bind', '$SRC', 'bind', 'rw')"
	run corral run "$CID"
	assert_status 0
	[ "$(cat "$SRC/new")" = from-container ]
}

@test "rbind carries submounts, bind does not" {
	make_source
	mkdir -p "$SRC/sub"
	mount -t tmpfs -o size=1m corral-test "$SRC/sub"
	echo inner >"$SRC/sub/inner"
	update_config "args('sh', '-c', 'probe read /mnt/r/sub/inner; ls -A /mnt/b/sub; echo end')
mount('/mnt/r', 'bind', '$SRC', 'rbind'); mount('/mnt/b', 'bind', '$SRC', 'bind')"
	run corral run "$CID"
	umount "$SRC/sub"
	assert_status 0
	[ "$output" = $'inner\nend' ]
}

@test "tmpfs: size and mode options, writable under a read-only root" {
	update_config "args('sh', '-c', 'probe stat /mnt/t; probe write /mnt/t/f x; probe mounts')
mount('/mnt/t', 'tmpfs', 'tmpfs', 'size=1m', 'mode=1770'); c['root']['readonly'] = True"
	run corral run "$CID"
	assert_status 0
	assert_kv mode 1770
	assert_kv wrote 1
	[ "$(mnt_field /mnt/t fstype)" = tmpfs ]
	assert_mnt_opt /mnt/t size=1024k super
	assert_mnt_opt /mnt/t mode=1770 super
	assert_mnt_opt / ro
}

@test "tmpfs: nosuid, nodev, noexec show in mountinfo and noexec stops exec" {
	update_config "args('sh', '-c', 'probe mounts; cp /bin/probe /mnt/x/p; /mnt/x/p pid')
mount('/mnt/x', 'tmpfs', 'tmpfs', 'nosuid', 'nodev', 'noexec')"
	run corral run "$CID"
	assert_status 126
	assert_output_contains "Permission denied"
	assert_mnt_opt /mnt/x nosuid
	assert_mnt_opt /mnt/x nodev
	assert_mnt_opt /mnt/x noexec
}

@test "bind with ro,nosuid,nodev,noexec: every flag applied (remount of a bind)" {
	make_source
	update_config "args('probe', 'mounts')
mount('/mnt/flags', 'bind', '$SRC', 'bind', 'ro', 'nosuid', 'nodev', 'noexec')"
	run corral run "$CID"
	assert_status 0
	local o
	for o in ro nosuid nodev noexec; do assert_mnt_opt /mnt/flags "$o"; done
}

@test "a bind of a single file onto a path missing in the rootfs" {
	echo file-content >"$BATS_TEST_TMPDIR/single"
	update_config "args('sh', '-c', 'probe read /etc/new.d/single.conf; probe stat /etc/new.d/single.conf')
mount('/etc/new.d/single.conf', 'bind', '$BATS_TEST_TMPDIR/single', 'bind', 'ro')"
	run corral run "$CID"
	assert_status 0
	assert_line file-content
	assert_kv type file
}

@test "missing destination directories are created, mounts apply in config order" {
	update_config "args('sh', '-c', 'probe write /deep/a/b/f x && probe mounts')
mount('/deep/a', 'tmpfs', 'tmpfs', 'size=1m'); mount('/deep/a/b', 'tmpfs', 'tmpfs', 'size=2m')"
	run corral run "$CID"
	assert_status 0
	assert_mnt_opt /deep/a size=1024k super
	assert_mnt_opt /deep/a/b size=2048k super
	[ ! -e "$BUNDLE/rootfs/deep/a/b/f" ]
}

@test "proc: procfs on /proc shows the container's pid namespace" {
	update_config 'args("sh", "-c", "probe mounts; ls /proc | grep -x 1; probe read /proc/1/comm")'
	run corral run "$CID"
	assert_status 0
	[ "$(mnt_field /proc fstype)" = proc ]
	assert_line 1
	# /proc/1 is the container's own init (sh execs its last command), not the host's.
	assert_line probe
}

@test "sysfs: read-only /sys, writes fail with EROFS" {
	update_config 'args("sh", "-c", "probe mounts; probe write /sys/kernel/profiling x")'
	run corral run "$CID"
	assert_status 1
	[ "$(mnt_field /sys fstype)" = sysfs ]
	assert_mnt_opt /sys ro
	assert_line "probe: open /sys/kernel/profiling: Read-only file system (EROFS)"
}

@test "devpts: a new instance with ptmxmode, mode and gid" {
	update_config "args('probe', 'mounts'); drop_mount('/dev/pts')
mount('/dev/pts', 'devpts', 'devpts', 'nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5')"
	run corral run "$CID"
	assert_status 0
	[ "$(mnt_field /dev/pts fstype)" = devpts ]
	assert_mnt_opt /dev/pts ptmxmode=666 super
	assert_mnt_opt /dev/pts mode=620 super
	assert_mnt_opt /dev/pts gid=5 super
	assert_mnt_opt /dev/pts nosuid
	assert_mnt_opt /dev/pts noexec
	# newinstance: not the host's devpts superblock
	host_dev=$(awk '$5 == "/dev/pts" {d = $3} END {print d}' /proc/self/mountinfo)
	container_dev=$(for l in "${lines[@]}"; do read -ra f <<<"$l"; [ "${f[4]}" = /dev/pts ] && echo "${f[2]}"; done | tail -1)
	[ "$container_dev" != "$host_dev" ]
}

@test "mqueue and /dev/shm: their types and flags" {
	update_config "args('sh', '-c', 'probe mounts; probe stat /dev/shm')"
	run corral run "$CID"
	assert_status 0
	[ "$(mnt_field /dev/mqueue fstype)" = mqueue ]
	for o in nosuid nodev noexec; do assert_mnt_opt /dev/mqueue "$o"; assert_mnt_opt /dev/shm "$o"; done
	[ "$(mnt_field /dev/shm fstype)" = tmpfs ]
	assert_kv mode 1777
}

@test "cgroup: /sys/fs/cgroup is mounted read-only, every mount below it too" {
	update_config 'args("sh", "-c", "probe mounts; probe write /sys/fs/cgroup/corral-test x")'
	run corral run "$CID"
	assert_status 1
	assert_line "probe: open /sys/fs/cgroup/corral-test: Read-only file system (EROFS)"
	local l f n=0 cg=0
	for l in "${lines[@]}"; do
		read -ra f <<<"$l"
		[[ "${f[4]:-}" == /sys/fs/cgroup || "${f[4]:-}" == /sys/fs/cgroup/* ]] || continue
		n=$((n + 1))
		[[ ",${f[5]}," == *,ro,* ]] || fail "writable cgroup mount: $l"
		[[ "$l" == *" - cgroup "* || "$l" == *" - cgroup2 "* ]] && cg=$((cg + 1))
	done
	[ "$n" -ge 1 ] && [ "$cg" -ge 1 ] || fail "no cgroup filesystem on /sys/fs/cgroup" "$output"
}

@test "root.readonly true: / is ro, writes fail with EROFS" {
	update_config 'args("sh", "-c", "probe mounts; probe write /newfile x"); c["root"]["readonly"] = True'
	run corral run "$CID"
	assert_status 1
	assert_mnt_opt / ro
	assert_line "probe: open /newfile: Read-only file system (EROFS)"
}

@test "root.readonly false: writes land in the bundle's rootfs" {
	update_config 'args("sh", "-c", "probe mounts; probe write /newfile x"); c["root"]["readonly"] = False'
	run corral run "$CID"
	assert_status 0
	refute_mnt_opt / ro
	[ "$(cat "$BUNDLE/rootfs/newfile")" = x ]
}

@test "the host's mounts and files are out of reach (pivot_root)" {
	touch "$BATS_TEST_TMPDIR/host-only"
	update_config "args('sh', '-c', 'probe mounts; probe stat $BATS_TEST_TMPDIR/host-only')"
	run corral run "$CID"
	assert_status 1
	assert_output_contains "probe: stat $BATS_TEST_TMPDIR/host-only: No such file or directory"
	[ "$(mnt_field / root)" = "$BUNDLE/rootfs" ]
	# No mount outside the config: the host's own ones are gone with the old root.
	refute_line_matching ' /mnt/sandboxing/'
	refute_line_matching ' /work '
}

@test "--no-pivot: the container still sees only its rootfs" {
	touch "$BATS_TEST_TMPDIR/host-only"
	update_config "args('sh', '-c', 'probe cwd; probe stat /bin/probe; probe stat $BATS_TEST_TMPDIR/host-only')"
	run corral run --no-pivot "$CID"
	assert_status 1
	assert_kv cwd /
	assert_kv type file
	assert_output_contains "probe: stat $BATS_TEST_TMPDIR/host-only: No such file or directory"
}

@test "rootfsPropagation shared: the root mount is shared in the container" {
	update_config 'args("probe", "mounts"); lx["rootfsPropagation"] = "shared"'
	run corral run "$CID"
	assert_status 0
	[[ "$(mnt_field / tags)" == *shared:* ]] || fail "/ tags: $(mnt_field / tags)"
}

@test "rootfsPropagation private: the root mount has no propagation" {
	update_config 'args("probe", "mounts"); lx["rootfsPropagation"] = "private"'
	run corral run "$CID"
	assert_status 0
	[ -z "$(mnt_field / tags)" ] || fail "/ tags: $(mnt_field / tags)"
}

@test "rootfsPropagation unbindable: the root mount is unbindable" {
	update_config 'args("probe", "mounts"); lx["rootfsPropagation"] = "unbindable"'
	run corral run "$CID"
	assert_status 0
	[ "$(mnt_field / tags)" = unbindable ]
}

@test "maskedPaths: files read empty, directories list empty" {
	mkdir -p "$BUNDLE/rootfs/opt/secret-dir"
	echo secret >"$BUNDLE/rootfs/opt/secret-dir/f"
	echo secret >"$BUNDLE/rootfs/opt/secret-file"
	update_config 'args("sh", "-c", "probe read /opt/secret-file; ls -A /opt/secret-dir; probe read /proc/keys; ls -A /sys/firmware; echo end")
lx["maskedPaths"] = list(dict.fromkeys(lx.get("maskedPaths", []) + ["/opt/secret-file", "/opt/secret-dir", "/proc/keys", "/sys/firmware"]))'
	run corral run "$CID"
	assert_status 0
	[ "$output" = end ]
}

@test "readonlyPaths: /proc/sys and a rootfs directory give EROFS, the rest stays writable" {
	mkdir -p "$BUNDLE/rootfs/opt/ro-dir"
	update_config 'args("sh", "-c", "probe write /proc/sys/kernel/domainname x; probe write /opt/ro-dir/f x; probe write /opt/f x")
c["root"]["readonly"] = False; lx["readonlyPaths"] = ["/proc/sys", "/opt/ro-dir"]'
	run corral run "$CID"
	assert_status 0
	assert_line "probe: open /proc/sys/kernel/domainname: Read-only file system (EROFS)"
	assert_line "probe: open /opt/ro-dir/f: Read-only file system (EROFS)"
	assert_kv wrote 1
	[ -e "$BUNDLE/rootfs/opt/f" ]
	[ ! -e "$BUNDLE/rootfs/opt/ro-dir/f" ]
}

@test "tmpfs with tmpcopyup starts with a copy of the directory it covers; the image is untouched" {
	local seed=$BUNDLE/rootfs/opt/seed
	mkdir -p "$seed/sub"
	echo hello >"$seed/file"
	chown 0:456 "$seed/file" # readable by root without CAP_DAC_OVERRIDE (default caps)
	chmod 0640 "$seed/file"
	echo deep >"$seed/sub/deep"
	chmod 0711 "$seed/sub"
	ln -s ../file "$seed/sub/link"
	mkfifo "$seed/fifo"
	update_config "args('sh', '-c', 'cat /opt/seed/file /opt/seed/sub/deep /opt/seed/sub/link; stat -c \"%u:%g %a %F\" /opt/seed/file /opt/seed/sub /opt/seed/sub/link /opt/seed/fifo; echo new >/opt/seed/file; probe mounts')
mount('/opt/seed', 'tmpfs', 'tmpfs', 'tmpcopyup', 'size=1m', 'ro')"
	run corral run "$CID"
	assert_status 0
	assert_line hello
	assert_line deep
	[ "$(grep -c '^hello$' <<<"$output")" -eq 2 ] # the symlink, copied as a symlink
	assert_line "0:456 640 regular file"
	assert_line "0:0 711 directory"
	assert_line "0:0 777 symbolic link"
	assert_line "0:0 644 fifo"
	assert_output_contains "can't create /opt/seed/file: Read-only file system"
	[ "$(mnt_field /opt/seed fstype)" = tmpfs ]
	assert_mnt_opt /opt/seed ro
	[ "$(cat "$seed/file")" = hello ]
}

@test "tmpcopyup on anything but a tmpfs is refused by name" {
	update_config "args('true')
mount('/opt', 'proc', 'proc', 'tmpcopyup')"
	run --separate-stderr corral run "$CID"
	assert_error "mount /opt: tmpcopyup needs a tmpfs"
}
