#!/usr/bin/env bats
# ID-mapped bind mounts (runtime-spec 1.2 idmap/ridmap, run as root). The container maps its ids
# 0..65535 to HOST_BASE.. on the host; an id-mapped bind shows files as the container's ids of
# the mapping's host ids, and files written through it land with the ids the mapping gives back:
#
#   idmap with the container's maps: on disk uid k appears as kuid HOST_BASE+k, which the
#   container sees as k. Its root (kuid HOST_BASE) writes on-disk uid 0.
#
# Nothing changes on the host's own view of the source.

load lib/common
load lib/userns

# volume DIR: a host directory owned by 0:0 holding root0 (0:0) and u1000 (1000:1000).
volume() {
	mkdir -p "$1"
	echo r >"$1/root0"
	echo u >"$1/u1000"
	chown 0:0 "$1" "$1/root0"
	chown 1000:1000 "$1/u1000"
	chmod 755 "$1"
	traversable "$1"
}

# Host mounts this file makes (the submount of the ridmap test) go before the leak check.
teardown() {
	if [ -n "${SUBMOUNT:-}" ] && mountpoint -q "$SUBMOUNT"; then umount "$SUBMOUNT"; fi
	common_teardown
}

@test "idmap with the container's maps: host owners show through, new files map back" {
	local vol=$BATS_TEST_TMPDIR/vol
	volume "$vol"
	userns "args('sh', '-c', 'stat -c \"%n=%u:%g\" /vol/root0 /vol/u1000; ls -ln /vol; probe ids; probe write /vol/new x')
mount('/vol', 'bind', '$vol', 'rbind', 'idmap')"
	run corral run "$CID"
	assert_status 0
	assert_line /vol/root0=0:0
	assert_line /vol/u1000=1000:1000
	assert_kv uid 0
	assert_kv wrote 1
	# The host's view is unchanged, and the container's root wrote on-disk uid 0.
	[ "$(stat -c %u:%g "$vol/root0")" = 0:0 ]
	[ "$(stat -c %u:%g "$vol/u1000")" = 1000:1000 ]
	[ "$(stat -c %u:%g "$vol/new")" = 0:0 ]
}

@test "without idmap the same files are unmapped in the container" {
	local vol=$BATS_TEST_TMPDIR/vol overflow
	overflow=$(cat /proc/sys/kernel/overflowuid)
	volume "$vol"
	userns "args('stat', '-c', '%n=%u', '/vol/root0')
mount('/vol', 'bind', '$vol', 'rbind')"
	run corral run "$CID"
	assert_status 0
	assert_line "/vol/root0=$overflow"
}

@test "a mount's own uidMappings and gidMappings are its mapping" {
	local vol=$BATS_TEST_TMPDIR/vol overflow
	overflow=$(cat /proc/sys/kernel/overflowuid)
	volume "$vol"
	# On-disk 0 → host 101000 → container 1000; on-disk 1000 is outside the mount's map.
	userns "args('stat', '-c', '%n=%u:%g', '/vol/root0', '/vol/u1000')
mount('/vol', 'bind', '$vol', 'rbind', 'idmap')
c['mounts'][-1]['uidMappings'] = [{'containerID': 0, 'hostID': $((HOST_BASE + 1000)), 'size': 1000}]
c['mounts'][-1]['gidMappings'] = [{'containerID': 0, 'hostID': $((HOST_BASE + 2000)), 'size': 1000}]"
	run corral run "$CID"
	assert_status 0
	assert_line /vol/root0=1000:2000
	assert_line "/vol/u1000=$overflow:$overflow"
	[ "$(stat -c %u:%g "$vol/root0")" = 0:0 ]
}

@test "mappings without the idmap option still map the mount (1.1 configs), without a user namespace too" {
	local vol=$BATS_TEST_TMPDIR/vol
	volume "$vol"
	# No user namespace: the container sees host ids, so the mapping alone shows: 0 → 5000.
	update_config "args('stat', '-c', '%n=%u:%g', '/vol/root0', '/vol/u1000')
mount('/vol', 'bind', '$vol', 'bind')
c['mounts'][-1]['uidMappings'] = [{'containerID': 0, 'hostID': 5000, 'size': 2000}]
c['mounts'][-1]['gidMappings'] = [{'containerID': 0, 'hostID': 7000, 'size': 2000}]"
	run corral run "$CID"
	assert_status 0
	assert_line /vol/root0=5000:7000
	assert_line /vol/u1000=6000:8000
}

@test "ridmap maps the submounts of an rbind, idmap only its top" {
	local vol=$BATS_TEST_TMPDIR/vol overflow
	overflow=$(cat /proc/sys/kernel/overflowuid)
	volume "$vol"
	mkdir "$vol/sub"
	SUBMOUNT=$vol/sub
	mount -t tmpfs -o mode=755 idmap-test "$SUBMOUNT"
	echo s >"$SUBMOUNT/f"
	userns "args('stat', '-c', '%n=%u', '/r/root0', '/r/sub/f', '/i/root0', '/i/sub/f')
mount('/r', 'bind', '$vol', 'rbind', 'ridmap')
mount('/i', 'bind', '$vol', 'rbind', 'idmap')"
	run corral run "$CID"
	assert_status 0
	assert_line /r/root0=0
	assert_line /r/sub/f=0
	assert_line /i/root0=0
	assert_line "/i/sub/f=$overflow"
	umount "$SUBMOUNT"
}

@test "idmap takes a joined user namespace's mapping" {
	userns "args('sleep', '1000')"
	corral_bg create "$CID"
	local first; first=$(container_pid "$CID")
	local second=$(new_id b) dir=$BATS_TEST_TMPDIR/b vol=$BATS_TEST_TMPDIR/vol
	volume "$vol"
	make_bundle "$dir" "$second"
	chown -R "$HOST_BASE:$HOST_BASE" "$dir/rootfs"
	traversable "$dir"
	update_config -b "$dir" "args('stat', '-c', '%n=%u:%g', '/vol/root0', '/vol/u1000')
ns('user', '/proc/$first/ns/user')
mount('/vol', 'bind', '$vol', 'bind', 'idmap')"
	run corral run -b "$dir" "$second"
	assert_status 0
	assert_line /vol/root0=0:0
	assert_line /vol/u1000=1000:1000
	corral delete -f "$CID"
}

@test "a filesystem without id-mapped mount support is refused by name" {
	# procfs has no FS_ALLOW_IDMAP on any kernel.
	userns "args('true')
mount('/p', 'bind', '/proc/sys', 'bind', 'idmap')"
	run --separate-stderr corral run "$CID"
	assert_error "mount /p" "does not support id-mapped mounts"
}

@test "id-mapped mount configs that cannot work are refused by name and leave nothing" {
	local edit expect
	mkdir "$BATS_TEST_TMPDIR/vol"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	while IFS='|' read -r edit expect; do
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		update_config "$edit"
		run --separate-stderr corral run "$CID"
		assert_error "$expect"
	done <<EOF2
mount('/v', 'bind', '$BATS_TEST_TMPDIR/vol', 'bind', 'idmap')|mounts[$(config_get 'len(j["mounts"])')]: idmap without uidMappings and gidMappings needs a user namespace
mount('/v', 'tmpfs', 'tmpfs', 'ridmap')|id-mapped mounts are only supported for bind mounts
mount('/v', 'tmpfs', 'tmpfs'); c['mounts'][-1]['uidMappings'] = c['mounts'][-1]['gidMappings'] = [{'containerID': 0, 'hostID': 1, 'size': 1}]|id-mapped mounts are only supported for bind mounts
EOF2
}

@test "features report id-mapped mounts" {
	run corral features
	assert_status 0
	[ "$(json_get 'j["linux"]["mountExtensions"]["idmap"]["enabled"]' "$output")" = true ]
	[ "$(json_get '"idmap" in j["mountOptions"] and "ridmap" in j["mountOptions"]' "$output")" = true ]
}
