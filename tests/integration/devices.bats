#!/usr/bin/env bats
# Devices: the default set (nodes, numbers, modes, usability), the /dev links, linux.devices
# entries with their mode and owner, and the device allow-list (deny by default).

load lib/common

# stat_devices NAME...: one `probe stat /dev/NAME` per name, each output line prefixed "NAME.".
stat_devices() {
	local script='for d in "$@"; do probe stat /dev/$d | sed "s|^|$d.|"; done'
	update_config "args('sh', '-c', '''$script''', 'sh', *'''$*'''.split())"
	run corral run "$CID"
	assert_status 0
}

@test "default devices: character nodes with the right numbers, mode 0666, owned by root" {
	stat_devices null zero full random urandom tty
	local spec name
	for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		name=${spec%%:*}
		assert_kv "$name.type" char
		assert_kv "$name.rdev" "${spec#*:}"
		assert_kv "$name.mode" 0666
		assert_kv "$name.uid" 0
		assert_kv "$name.gid" 0
	done
}

@test "default devices are usable: the device allow-list lets them through" {
	update_config "args('sh', '-c', '''probe write /dev/null x; probe write /dev/full x
head -c 4 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c; head -c 16 /dev/random | wc -c
probe write /dev/tty x''')"
	run corral run "$CID"
	assert_line wrote=1
	assert_line "probe: write /dev/full: No space left on device (ENOSPC)"
	assert_line 4
	[ "$(grep -cx 16 <<<"$output")" -eq 2 ]
	# No controlling terminal: the driver answers ENXIO; a denied device would give EPERM.
	assert_line "probe: open /dev/tty: No such device or address (ENXIO)"
}

@test "/dev links: fd, stdin, stdout, stderr and ptmx" {
	stat_devices fd stdin stdout stderr ptmx
	local spec
	for spec in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 \
		stderr:/proc/self/fd/2 ptmx:pts/ptmx; do
		assert_kv "${spec%%:*}.type" symlink
		assert_kv "${spec%%:*}.target" "${spec#*:}"
	done
}

@test "/dev/pts/ptmx is the new devpts instance's multiplexer" {
	update_config 'args("probe", "stat", "/dev/pts/ptmx")'
	run corral run "$CID"
	assert_status 0
	assert_kv type char
	assert_kv rdev 5:2
}

@test "host devices are not in the container's /dev" {
	update_config "args('sh', '-c', 'ls -A /dev | sort')"
	run corral run "$CID"
	assert_status 0
	# The default set, its links and the standard mounts; nothing from the host's devtmpfs.
	local name allowed=" core console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
	for name in "${lines[@]}"; do
		[[ "$allowed" == *" $name "* ]] || fail "unexpected /dev/$name" "$output"
	done
	refute_line vda
	refute_line kmsg
}

@test "linux.devices: char, block and fifo nodes with mode, uid and gid" {
	update_config 'lx["devices"] = [
  {"path": "/dev/custom-char", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 1001},
  {"path": "/dev/custom-block", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600, "uid": 0, "gid": 6},
  {"path": "/dev/sub/custom-fifo", "type": "p", "fileMode": 0o620}]'
	stat_devices custom-char custom-block sub/custom-fifo
	assert_kv custom-char.type char
	assert_kv custom-char.rdev 1:3
	assert_kv custom-char.mode 0640
	assert_kv custom-char.uid 1000
	assert_kv custom-char.gid 1001
	assert_kv custom-block.type block
	assert_kv custom-block.rdev 7:200
	assert_kv custom-block.mode 0600
	assert_kv custom-block.gid 6
	assert_kv sub/custom-fifo.type fifo
	assert_kv sub/custom-fifo.mode 0620
}

@test "linux.devices: a node allowed in resources.devices can be opened" {
	[ -c /dev/fuse ] || skip "kernel without fuse: no harmless device to open"
	update_config 'args("probe", "write", "/dev/fuse-copy", "x")
lx["devices"] = [{"path": "/dev/fuse-copy", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}]
lx.setdefault("resources", {}).setdefault("devices", []).append(
    {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rwm"})'
	run corral run "$CID"
	# The open passed; fuse itself refuses a write on a connection nobody mounted.
	assert_status 1
	assert_line "probe: write /dev/fuse-copy: Operation not permitted (EPERM)"
}

@test "device allow-list: a node not in the list can be made but not opened" {
	[ -c /dev/fuse ] || skip "kernel without fuse: no harmless device to open"
	update_config 'args("probe", "mknod-open", "/dev/made-fuse", "10", "229")
caps = c["process"]["capabilities"]
for k in caps: caps[k] = sorted(set(caps[k]) | {"CAP_MKNOD"})'
	run corral run "$CID"
	assert_status 1
	refute_line open=ok
	assert_output_contains "/dev/made-fuse: Operation not permitted (EPERM)"
}

@test "device allow-list: the same node opens once allowed" {
	[ -c /dev/fuse ] || skip "kernel without fuse: no harmless device to open"
	update_config 'args("probe", "mknod-open", "/dev/made-fuse", "10", "229")
caps = c["process"]["capabilities"]
for k in caps: caps[k] = sorted(set(caps[k]) | {"CAP_MKNOD"})
lx.setdefault("resources", {}).setdefault("devices", []).append(
    {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rwm"})'
	run corral run "$CID"
	assert_status 0
	assert_line mknod=ok
	assert_line open=ok
}

@test "without CAP_MKNOD, mknod is refused even for an allowed device" {
	update_config 'args("probe", "mknod-open", "/dev/made-null", "1", "3")
caps = c["process"]["capabilities"]
for k in caps: caps[k] = sorted(set(caps[k]) - {"CAP_MKNOD"})'
	run corral run "$CID"
	assert_status 1
	assert_line "probe: mknod /dev/made-null: Operation not permitted (EPERM)"
}
