#!/usr/bin/env bats
# SECURITY.md class 3, fake /proc (runc CVE-2019-16884, CVE-2019-19921, CVE-2023-27561,
# CVE-2023-28642, CVE-2025-52881): only procfs may be mounted on /proc, /proc and /sys must be
# plain directories, and the runtime's own procfs writes (sysctl, oom_score_adj) must land in
# the real procfs file they name, never in one a hostile rootfs or volume steered them to. The
# sentinel that matters most here is the host's core_pattern (checked after every test by
# lib/security, and restored if a test changed it).
#
# Every path test runs twice: as is, and in the degraded lane ([no openat2]) where openat2 and
# the new mount API answer ENOSYS.

load lib/security

# plant LINK TARGET: LINK (a rootfs path) becomes a symlink to TARGET.
plant() {
	rm -rf "$BUNDLE/rootfs$1"
	ln -s "$2" "$BUNDLE/rootfs$1"
}

# For each target: /DIR in the rootfs as a symlink to it makes create fail, naming /DIR, and
# leaves nothing (the canary and core_pattern are checked in teardown).
symlinked_dir_fails() {
	local dir=$1 target
	shift
	cfg 'args(["probe", "exit", "0"])'
	for target in "$@"; do
		plant "$dir" "$target"
		run --separate-stderr corral_bg create "$CID"
		[ "$status" -ne 0 ] || fail "create succeeded with $dir -> $target"
		assert_error "$dir"
		assert_nothing_left "$CID"
	done
}

t_symlinked_proc() {
	# /, the rootfs' own /tmp, the host canary (absolute) and a relative climb to it.
	symlinked_dir_fails /proc / /tmp "$SEC_CANARY" "../../../../../../../../..$SEC_CANARY"
	# Not even procfs mounted on the canary: nothing was created in it.
	[ ! -e "$BUNDLE/rootfs$SEC_CANARY/self" ]
}

t_symlinked_sys() {
	symlinked_dir_fails /sys / "$SEC_CANARY" ../proc
}

@test "symlinked /proc (to /, /tmp, the canary, ../../..): create fails, nothing left" {
	t_symlinked_proc
}

@test "[no openat2] symlinked /proc: create fails, nothing left" {
	degraded
	t_symlinked_proc
}

@test "symlinked /sys (to /, the canary, ../proc): create fails, nothing left" {
	t_symlinked_sys
}

@test "[no openat2] symlinked /sys: create fails, nothing left" {
	degraded
	t_symlinked_sys
}

# A bind whose destination runs through a rootfs symlink into /proc/sys/kernel: the bound file
# says what an attacker would like core_pattern to be. The runtime also writes to procfs during
# setup (a sysctl, oom_score_adj). Refused, or landed inside the rootfs; either way the host's
# core_pattern (teardown) and the container's view of it are unchanged.
t_destination_into_proc_sys_kernel() {
	local dest=$1 link=$2
	echo '|/tmp/pwned-by-container %p' >"$BATS_TEST_TMPDIR/evil_pattern"
	mkdir -p "$BUNDLE/rootfs/evil"
	plant "/evil/$link" "$3"
	cfg --arg d "$dest" --arg s "$BATS_TEST_TMPDIR/evil_pattern" \
		'args(["probe", "read", "/proc/sys/kernel/core_pattern"]) | bind($d; $s)
		| .process.oomScoreAdj = 500 | .linux.sysctl = {"kernel.domainname": "sec-test"}'
	run --separate-stderr corral_bg create "$CID"
	if [ "$status" -ne 0 ]; then
		note "refused: $stderr"
		assert_error "$dest"
		assert_nothing_left "$CID"
		return 0
	fi
	note "created; the container reads core_pattern"
	corral start "$CID"
	wait_for_line "$(ctr_stdout "$CID")" "$SEC_CORE_PATTERN"
	corral delete -f "$CID"
}

@test "bind destination through a symlink into /proc/sys/kernel: core_pattern unchanged" {
	t_destination_into_proc_sys_kernel /evil/k/core_pattern k /proc/sys/kernel
}

@test "[no openat2] bind destination through a symlink into /proc/sys/kernel" {
	degraded
	t_destination_into_proc_sys_kernel /evil/k/core_pattern k /proc/sys/kernel
}

@test "bind destination as a trailing symlink to core_pattern (relative): unchanged" {
	t_destination_into_proc_sys_kernel /evil/cp cp ../proc/sys/kernel/core_pattern
}

@test "[no openat2] bind destination as a trailing symlink to core_pattern (relative)" {
	degraded
	t_destination_into_proc_sys_kernel /evil/cp cp ../proc/sys/kernel/core_pattern
}

# An image VOLUME over /proc/self (or /proc/sys/net) hands a directory of the attacker's to the
# runtime's procfs writes: the volume holds oom_score_adj and ipv4/ip_forward as symlinks to
# core_pattern. Each write must fail (a mount crossing) or hit the real procfs file.
t_volume_over_proc_write_targets() {
	local vol=$BATS_TEST_TMPDIR/volume edit
	mkdir -p "$vol/ipv4"
	ln -s /proc/sys/kernel/core_pattern "$vol/oom_score_adj"
	ln -s /proc/sys/kernel/core_pattern "$vol/ipv4/ip_forward"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	for edit in 'bind("/proc/self"; $v) | .process.oomScoreAdj = 500' \
		'bind("/proc/sys/net"; $v) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'; do
		cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
		cfg --arg v "$vol" "args([\"probe\", \"read\", \"/proc/sys/kernel/core_pattern\"]) | $edit"
		run --separate-stderr corral_bg create "$CID"
		if [ "$status" -ne 0 ]; then
			note "refused: $stderr"
			assert_error
			assert_nothing_left "$CID"
		else
			note "created; the container reads core_pattern"
			corral start "$CID"
			wait_for_line "$(ctr_stdout "$CID")" "$SEC_CORE_PATTERN"
			corral delete -f "$CID"
		fi
	done
	[ "$(readlink "$vol/oom_score_adj")" = /proc/sys/kernel/core_pattern ]
}

@test "a volume over /proc/self and /proc/sys/net: oom_score_adj and sysctl writes stay in procfs" {
	t_volume_over_proc_write_targets
}

@test "[no openat2] a volume over /proc/self and /proc/sys/net" {
	degraded
	t_volume_over_proc_write_targets
}

@test "sysctl keys that spell a path out of their namespace are refused" {
	local key
	cfg 'args(["probe", "exit", "0"])'
	for key in net/../kernel/core_pattern net...kernel.core_pattern net.ipv4.../../kernel.core_pattern \
		kernel.core_pattern; do
		cfg --arg k "$key" '.linux.sysctl = {($k): "|/tmp/pwned %p"}'
		run --separate-stderr corral_bg create "$CID"
		assert_error sysctl
		assert_nothing_left "$CID"
	done
}

@test "[no openat2] the degraded lane is real: openat2 is ENOSYS for the runtime and below" {
	assert_degraded_lane_works
}
