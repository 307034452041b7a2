#!/usr/bin/env bats
# SECURITY.md class 9, writable cgroupfs (runc CVE-2023-25809) and device allow-lists:
# /sys/fs/cgroup is read-only inside unless the config asks, and a device list that allows
# nothing denies everything beyond the runtime's default devices: mknod works (with
# CAP_MKNOD), opening the node does not.

load lib/security

@test "/sys/fs/cgroup is read-only: mkdir, writes and a remount fail, the host group is unchanged" {
	cfg 'args(["sh", "-c", "
		mkdir /sys/fs/cgroup/sec-evil; probe write /sys/fs/cgroup/cgroup.procs 1
		probe write /sys/fs/cgroup/cgroup.subtree_control +pids; probe write /sys/fs/cgroup/sec-file x
		for d in /sys/fs/cgroup/*/; do [ -d \"$d\" ] && mkdir \"${d}sec-evil\"; done
		mount -o remount,rw /sys/fs/cgroup; echo end"])'
	run_ctr
	note "$output"
	assert_line end
	assert_output_contains "can't create directory '/sys/fs/cgroup/sec-evil': Read-only file system"
	assert_line "probe: open /sys/fs/cgroup/cgroup.procs: Read-only file system (EROFS)"
	assert_line "probe: open /sys/fs/cgroup/cgroup.subtree_control: Read-only file system (EROFS)"
	assert_line "probe: open /sys/fs/cgroup/sec-file: Read-only file system (EROFS)"
	refute_line_matching wrote=
	assert_line "mount: permission denied (are you root?)"
	# Nothing was created in any hierarchy on the host.
	[ -z "$(find /sys/fs/cgroup -maxdepth 6 -name 'sec-evil' -o -maxdepth 6 -name sec-file 2>/dev/null)" ]
}

# t_device_denied EDIT: with EDIT applied to the config (its device list), mknod of char
# 10:200 (/dev/net/tun, which any root may open) on a tmpfs without nodev works and opening it
# fails with EPERM, while the default /dev/null still opens.
MKNOD_CHECK='args(["sh", "-c", "probe mknod-open /mnt/d/tun 10 200; probe read /dev/null && echo null-ok"])
	| mount("/mnt/d"; "tmpfs"; "sec-devs"; ["size=64k"]) | add_caps(["CAP_MKNOD"])'

@test "device lists that allow nothing (empty, deny-all, absent): mknod works, open is EPERM" {
	local edit
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	for edit in '.linux.resources.devices = []' \
		'.linux.resources.devices = [{"allow": false, "access": "rwm"}]' \
		'del(.linux.resources)'; do
		cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
		cfg "$MKNOD_CHECK | $edit"
		run_ctr
		[[ "$output" == *"mknod=ok"*"probe: open /mnt/d/tun: Operation not permitted (EPERM)"* ]] ||
			fail "with $edit:" "$output"
		assert_line null-ok
		refute_line open=ok
	done
}

@test "control: an explicit allow rule for 10:200 makes the same open work" {
	cfg "$MKNOD_CHECK"' | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]'
	run_ctr
	assert_line mknod=ok
	assert_line open=ok
}
