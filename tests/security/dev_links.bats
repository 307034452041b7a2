#!/usr/bin/env bats
# SECURITY.md class 6, /dev/console and /dev links (runc CVE-2025-52565, crun
# CVE-2026-47766): /dev nodes and links are created only through in-root resolution and a
# rootfs whose /dev is a symlink out must fail; the directory it points to stays untouched
# (the host canary, checked in teardown with every other sentinel). /dev/console, which a
# terminal binds the pty onto, must never be followed when the image made it a symlink (to
# core_pattern in the container's procfs, or out of the rootfs).
#
# Every test runs twice: as is, and in the degraded lane ([no openat2]).

load lib/security

plant() {
	rm -rf "$BUNDLE/rootfs$1"
	ln -s "$2" "$BUNDLE/rootfs$1"
}

# /dev as a symlink out of the rootfs, with the config's tmpfs on /dev and without it.
t_dev_symlink() {
	local target
	cfg 'args(["probe", "exit", "0"])'
	for target in "$SEC_CANARY" "../../../../../../../../..$SEC_CANARY" /; do
		plant /dev "$target"
		run --separate-stderr corral_bg create "$CID"
		[ "$status" -ne 0 ] || fail "create succeeded with /dev -> $target"
		assert_error /dev
		assert_nothing_left "$CID"
	done
	note "with the /dev tmpfs: $stderr"
	cfg 'drop_mount("/dev")'
	plant /dev "$SEC_CANARY"
	create_fails_cleanly /dev
	note "without it: ${stderr_lines[0]}"
}

@test "rootfs /dev as a symlink out (canary, ../../.., /): create fails, the target untouched" {
	t_dev_symlink
}

@test "[no openat2] rootfs /dev as a symlink out: create fails, the target untouched" {
	degraded
	t_dev_symlink
}

# Mounts below /dev whose mountpoints are symlinks out (the rootfs' own /dev, no tmpfs on it):
# refused, or mounted inside the rootfs, never on the host.
t_dev_mountpoint_symlinks() {
	cfg 'drop_mount("/dev") | args(["probe", "mounts"])'
	plant /dev/shm "$SEC_CANARY"
	plant /dev/mqueue "../../../../../../../..$SEC_CANARY/sub"
	plant /dev/pts ../../../../../../../../run
	run --separate-stderr corral run "$CID" </dev/null
	if [ "$status" -ne 0 ]; then
		note "refused: $stderr"
		assert_error
		assert_nothing_left "$CID"
		return 0
	fi
	local mp allowed="/ /proc /sys /sys/fs/cgroup /run $SEC_CANARY $SEC_CANARY/sub"
	note "ran; mountpoints: $(mountpoints | tr '\n' ' ')"
	for mp in $(mountpoints); do
		[[ " $allowed " == *" $mp "* || "$mp" == /proc/* || "$mp" == /sys/* ]] ||
			fail "unexpected mountpoint $mp" "$output"
	done
	# The in-root target was created in the rootfs (sub is inside the shm tmpfs mounted there).
	[ -d "$BUNDLE/rootfs$SEC_CANARY" ]
}

@test "mountpoints under /dev as symlinks out (shm, mqueue, pts): refused or inside" {
	t_dev_mountpoint_symlinks
}

@test "[no openat2] mountpoints under /dev as symlinks out: refused or inside" {
	degraded
	t_dev_mountpoint_symlinks
}

# Device nodes and the /dev/fd... links where the rootfs has symlinks to host files: the
# runtime must not mknod, chown, chmod or bind through them. The canary (teardown) shows any
# change of owner, mode or content.
t_dev_node_symlinks() {
	local node
	cfg 'drop_mount("/dev") | args(["sh", "-c", "ls -l /dev; probe read /dev/stdout"])'
	for node in null zero full tty random; do
		rm -rf "$BUNDLE/rootfs/dev/"*
		ln -s "$SEC_CANARY/file" "$BUNDLE/rootfs/dev/$node"
		run --separate-stderr corral_bg create "$CID"
		[ "$status" -ne 0 ] || fail "create succeeded with /dev/$node -> the canary file"
		assert_error "/dev/$node"
		assert_nothing_left "$CID"
	done
	note "$stderr"
	# Links the runtime creates (fd, stdin, stdout, stderr, ptmx) already there, pointing out.
	rm -rf "$BUNDLE/rootfs/dev/"*
	for node in fd stdin stdout stderr ptmx; do
		ln -s "$SEC_CANARY/file" "$BUNDLE/rootfs/dev/$node"
	done
	run corral run "$CID" </dev/null
	note "pre-planted links: status $status: $output"
	refute_line_matching "$(<"$SEC_CANARY/file")"
	assert_nothing_left "$CID"
}

@test "device nodes as symlinks to a host file: create fails; planted links never lead out" {
	t_dev_node_symlinks
}

@test "[no openat2] device nodes as symlinks to a host file" {
	degraded
	t_dev_node_symlinks
}

@test "[no openat2] the degraded lane is real: openat2 is ENOSYS for the runtime and below" {
	assert_degraded_lane_works
}

# A console socket receiver for the terminal tests; its pid is tracked for teardown.
start_recvtty() {
	[ -n "${CORRAL_RECVTTY:-}" ] || fail "CORRAL_RECVTTY is not set (tests/CMakeLists.txt passes it)"
	SOCK=$BATS_TEST_TMPDIR/console.sock
	"$CORRAL_RECVTTY" --mode null --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" "$SOCK" \
		>"$BATS_TEST_TMPDIR/recvtty.out" 2>&1 &
	track_pid $!
	retry 100 0.05 test -s "$BATS_TEST_TMPDIR/recvtty.pid"
}

t_dev_console_symlinks() {
	local target
	cfg 'drop_mount("/dev") | .process.terminal = true | args(["probe", "exit", "0"])'
	for target in /proc/sys/kernel/core_pattern "$SEC_CANARY/file" "../../../../../..$SEC_CANARY/file"; do
		plant /dev/console "$target"
		start_recvtty
		run --separate-stderr corral_bg create --console-socket "$SOCK" "$CID"
		[ "$status" -ne 0 ] || fail "create succeeded with /dev/console -> $target"
		assert_error /dev/console
		assert_nothing_left "$CID"
	done
	note "$stderr"
}

@test "rootfs /dev/console as a symlink (core_pattern, canary): the pty is never bound through it" {
	t_dev_console_symlinks
}

@test "[no openat2] rootfs /dev/console as a symlink: the pty is never bound through it" {
	degraded
	t_dev_console_symlinks
}
