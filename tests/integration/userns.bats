#!/usr/bin/env bats
# User namespaces (run as root): the container's root is an unprivileged id on the host, the maps
# are the config's, a user namespace can be joined by path, and the mounts that need the host's
# privilege take runc's fallbacks (host device nodes bound, /sys bound read-only without a
# network namespace of its own).

load lib/common
load lib/userns

@test "root in the container is an unprivileged id on the host" {
	mkdir "$BATS_TEST_TMPDIR/data"
	chown "$HOST_BASE:$HOST_BASE" "$BATS_TEST_TMPDIR/data"
	userns "args('sh', '-c', 'probe ids; cat /proc/self/uid_map /proc/self/gid_map; echo hi >/data/f; sleep 1000')
mount('/data', 'bind', '$BATS_TEST_TMPDIR/data', 'rbind', 'rw')"
	corral_bg create "$CID"
	corral start "$CID"
	local pid; pid=$(container_pid "$CID")
	wait_for_line "$(ctr_stdout "$CID")" "0 $HOST_BASE 65536" 2>/dev/null ||
		retry 50 0.1 grep -q "$HOST_BASE" "$(ctr_stdout "$CID")"
	run cat "$(ctr_stdout "$CID")"
	assert_kv uid 0
	assert_kv gid 0
	[ "$(grep -c "^ *0 *$HOST_BASE *65536$" "$(ctr_stdout "$CID")")" -eq 2 ]
	# The host's view: the maps of the process, its real uid, the owner of what it wrote.
	read -r a b c <"/proc/$pid/uid_map"
	[ "$a $b $c" = "0 $HOST_BASE 65536" ]
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$HOST_BASE" ]
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = "$HOST_BASE" ]
	[ "$(stat -L -c %i "/proc/$pid/ns/user")" != "$(host_ns user)" ]
	retry 50 0.1 test -s "$BATS_TEST_TMPDIR/data/f"
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/data/f")" = "$HOST_BASE:$HOST_BASE" ]
	corral delete -f "$CID"
}

@test "a root caller leaves setgroups allowed, so additionalGids work" {
	userns "args('sh', '-c', 'cat /proc/self/setgroups; probe ids')
c['process']['user']['additionalGids'] = [10, 20]"
	run corral run "$CID"
	assert_status 0
	assert_line allow
	assert_output_contains "groups=10,20"
}

@test "default mounts and devices work in a user namespace" {
	userns "args('sh', '-c', 'probe write /dev/null x; head -c 4 /dev/zero | wc -c; ls /sys/kernel >/dev/null && echo sys-ok; probe mounts')"
	run corral run "$CID"
	assert_status 0
	assert_line wrote=1
	assert_line 4
	assert_line sys-ok
	# Its own network namespace: a fresh sysfs, read-only as configured.
	[ "$(mnt_field /sys fstype)" = sysfs ]
	assert_mnt_opt /sys ro
	[ "$(mnt_field /proc fstype)" = proc ]
}

@test "/sys without a network namespace of its own is the host's, bound read-only" {
	userns "args('probe', 'mounts'); drop_ns('network')"
	run corral run "$CID"
	assert_status 0
	[ "$(mnt_field /sys root)" = / ]
	assert_mnt_opt /sys ro
	[ "$(mnt_field /proc fstype)" = proc ]
}

@test "a user namespace joined by path: same namespace, new ones owned by it" {
	userns "args('sleep', '1000')"
	corral_bg create "$CID"
	local first; first=$(container_pid "$CID")
	local second=$(new_id b) dir=$BATS_TEST_TMPDIR/b
	make_bundle "$dir" "$second"
	chown -R "$HOST_BASE:$HOST_BASE" "$dir/rootfs"
	update_config -b "$dir" "args('sh', '-c', 'probe ids; readlink /proc/self/ns/user; echo x >/tmp/y && echo wrote')
ns('user', '/proc/$first/ns/user'); c['root']['readonly'] = False"
	run corral run -b "$dir" "$second"
	assert_status 0
	assert_kv uid 0
	assert_line wrote
	assert_line "$(readlink "/proc/$first/ns/user")"
	[ "$(stat -c %u "$dir/rootfs/tmp/y")" = "$HOST_BASE" ]
	corral delete -f "$CID"
}

@test "user namespace configs that cannot work are refused by name and leave nothing" {
	local edit expect
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	while IFS='|' read -r edit expect; do
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		update_config "$edit"
		run --separate-stderr corral run "$CID"
		assert_error "$expect"
	done <<'EOF2'
ns('user')|linux.uidMappings: required by a new user namespace
lx['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}]|linux.uidMappings: set but there is no user namespace
ns('user'); lx['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}, {'containerID': 5, 'hostID': 200000, 'size': 10}]; lx['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}]|linux.uidMappings[1]: container ids overlap linux.uidMappings[0]
ns('user'); lx['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}, {'containerID': 10, 'hostID': 100005, 'size': 10}]; lx['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}]|linux.uidMappings[1]: host ids overlap linux.uidMappings[0]
ns('user'); lx['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}]; lx['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 10}]; c['process']['user']['uid'] = 1000|process.user.uid: 1000 is not in linux.uidMappings
EOF2
}

@test "every mount type that works as root works in a user namespace, or fails clearly" {
	mkdir "$BATS_TEST_TMPDIR/vol" "$BATS_TEST_TMPDIR/lower" "$BATS_TEST_TMPDIR/upper" "$BATS_TEST_TMPDIR/work"
	traversable "$BATS_TEST_TMPDIR/vol"
	local spec
	while IFS='|' read -r spec; do
		cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
		userns "args('true'); $spec"
		run --separate-stderr corral run "$CID"
		if [ "$status" -ne 0 ]; then
			# A refusal must say which mount and why, in one line.
			[[ "$stderr" == "corral: "*mount* ]] || fail "unclear failure for $spec" "$stderr"
			echo "# refused in a user namespace: $spec: $stderr" >&3
		fi
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		rm -rf "$BUNDLE/rootfs"
		cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
	done <<EOF2
mount('/m', 'tmpfs', 'tmpfs', 'size=1m', 'mode=755')
mount('/m', 'bind', '$BATS_TEST_TMPDIR/vol', 'rbind', 'ro')
mount('/m', 'proc', 'proc')
mount('/m', 'sysfs', 'sysfs', 'ro')
mount('/m', 'mqueue', 'mqueue')
mount('/m', 'devpts', 'devpts', 'newinstance', 'ptmxmode=0666')
mount('/m', 'cgroup2', 'cgroup2', 'ro')
mount('/m', 'overlay', 'overlay', 'lowerdir=$BATS_TEST_TMPDIR/lower,upperdir=$BATS_TEST_TMPDIR/upper,workdir=$BATS_TEST_TMPDIR/work')
mount('/m', 'ramfs', 'ramfs')
EOF2
}

@test "bind sources under a root-only directory work: corral opens them, not the mapped root" {
	# podman keeps /etc/hosts and friends in a 0700 runroot; the container's root is uid
	# $HOST_BASE on the host and could not reach them by path.
	local private=$BATS_TEST_TMPDIR/private
	mkdir -m 0700 "$private"
	mkdir "$private/vol"
	echo host-data >"$private/file"
	chown "$HOST_BASE:$HOST_BASE" "$private/vol"
	userns "args('sh', '-c', 'cat /f; echo made >/vol/new && echo wrote; probe ids')
mount('/f', 'bind', '$private/file', 'bind', 'ro')
mount('/vol', 'bind', '$private/vol', 'rbind', 'rw')"
	run corral run "$CID"
	assert_status 0
	assert_line host-data
	assert_line wrote
	assert_kv uid 0
	[ "$(stat -c %u "$private/vol/new")" = "$HOST_BASE" ]
	# Read-only stays read-only, and the source's mount flags came along.
	userns "args('sh', '-c', 'echo x >/f || echo denied')
mount('/f', 'bind', '$private/file', 'bind', 'ro')"
	run corral run "$CID"
	assert_line denied
	[ "$(cat "$private/file")" = host-data ]
}

@test "a bind source that does not exist is a clear error naming it, nothing left behind" {
	userns "args('true')
mount('/f', 'bind', '$BATS_TEST_TMPDIR/nope', 'bind')"
	run --separate-stderr corral run "$CID"
	assert_error "$BATS_TEST_TMPDIR/nope" "no such file"
}
