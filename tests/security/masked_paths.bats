#!/usr/bin/env bats
# SECURITY.md class 5, masked paths and /dev/null (runc CVE-2025-31133): masking binds the
# container's /dev/null, which the rootfs controls, so it must be the real null device (char
# 1:3) reached without symlinks; masks and read-only paths must land on the paths they name,
# and stay: masked files read empty, directories list empty, read-only paths give EROFS.
#
# Writes to /proc/sys/kernel/core_pattern from inside always write its current value: on a
# runtime that lets them through the test fails on `wrote=`, and the host is still unchanged.

load lib/security

# Without the config's tmpfs on /dev, the rootfs' own /dev is what the container gets.
use_rootfs_dev() {
	cfg 'drop_mount("/dev")'
}

# A rootfs file to mask, with content that must never be read.
make_secret() {
	mkdir -p "$BUNDLE/rootfs/opt"
	echo TOPSECRET >"$BUNDLE/rootfs/opt/secret"
	cfg 'masked(["/opt/secret"])'
}

@test "rootfs /dev/null as a symlink to core_pattern: create fails, nothing left" {
	use_rootfs_dev
	make_secret
	ln -sf /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
	cfg 'args(["probe", "read", "/opt/secret"])'
	create_fails_cleanly /dev/null
	[ "$(readlink "$BUNDLE/rootfs/dev/null")" = /proc/sys/kernel/core_pattern ]
}

@test "rootfs /dev/null as a symlink to the host canary file: create fails, canary untouched" {
	use_rootfs_dev
	make_secret
	ln -sf "$SEC_CANARY/file" "$BUNDLE/rootfs/dev/null"
	cfg 'args(["probe", "read", "/opt/secret"])'
	create_fails_cleanly /dev/null
}

@test "rootfs /dev/null as a directory: create fails, nothing left" {
	use_rootfs_dev
	make_secret
	mkdir "$BUNDLE/rootfs/dev/null"
	create_fails_cleanly /dev/null
}

# The container's view of /dev/null and of the masked files; head -c keeps a zero device from
# streaming forever.
MASK_CHECK='probe stat /dev/null; head -c 8 /opt/secret | wc -c; head -c 8 /proc/keys | wc -c; echo end'

@test "rootfs /dev/null as char 1:5 (zero): replaced by the null device, masks read empty" {
	use_rootfs_dev
	make_secret
	mknod "$BUNDLE/rootfs/dev/null" c 1 5
	cfg --arg s "$MASK_CHECK" 'args(["sh", "-c", $s])'
	run_ctr
	note "$output"
	assert_status 0
	assert_kv type char
	assert_kv rdev 1:3
	[ "$(grep -cx 0 <<<"$output")" -eq 2 ] || fail "a masked file is not empty" "$output"
}

@test "rootfs /dev/null as a regular file: the host's null device over it, masks read empty" {
	use_rootfs_dev
	make_secret
	echo not-null >"$BUNDLE/rootfs/dev/null"
	cfg --arg s "$MASK_CHECK" 'args(["sh", "-c", $s])'
	run_ctr
	note "$output"
	assert_status 0
	assert_kv rdev 1:3
	[ "$(grep -cx 0 <<<"$output")" -eq 2 ] || fail "a masked file is not empty" "$output"
	[ "$(cat "$BUNDLE/rootfs/dev/null")" = not-null ]
}

@test "masked files read empty, directories list empty and refuse writes, umount is refused" {
	make_secret
	mkdir -p "$BUNDLE/rootfs/opt/secret-dir"
	echo TOPSECRET >"$BUNDLE/rootfs/opt/secret-dir/f"
	cfg 'masked(["/opt/secret-dir"]) | rw_root | args(["sh", "-c", "
		probe read /opt/secret; probe read /proc/keys; probe read /proc/timer_list
		ls -A /opt/secret-dir /sys/firmware
		probe write /opt/secret x; probe write /opt/secret-dir/new x
		umount /opt/secret; umount /proc/keys; umount -l /opt/secret-dir
		probe read /opt/secret; ls -A /opt/secret-dir; echo end"])'
	run_ctr
	note "$output"
	refute_line_matching TOPSECRET
	refute_line f
	# A masked file is the null device: a write is accepted and goes nowhere.
	assert_line "probe: open /opt/secret-dir/new: Read-only file system (EROFS)"
	assert_line end
	[ "$(grep -c "Operation not permitted" <<<"$output")" -ge 3 ] || fail "umount not refused" "$output"
	[ "$(cat "$BUNDLE/rootfs/opt/secret")" = TOPSECRET ]
	[ ! -e "$BUNDLE/rootfs/opt/secret-dir/new" ]
}

@test "with CAP_SYS_ADMIN added: what umount of a mask does, and the host stays unchanged" {
	# CAP_SYS_ADMIN in the container's own mount namespace can unmount a mask: masking is not a
	# barrier against it (as with runc and crun), only the host must stay unchanged.
	make_secret
	cfg 'add_caps(["CAP_SYS_ADMIN"]) | args(["sh", "-c", "
		umount /opt/secret && echo UMOUNTED-FILE; umount /proc/keys && echo UMOUNTED-PROCFILE
		head -c 8 /opt/secret; echo; probe write /proc/sys/kernel/core_pattern core; echo end"])'
	run_ctr
	note "observed with CAP_SYS_ADMIN: $output"
	assert_line end
	refute_line_matching wrote=
}

@test "readonly paths give EROFS: /proc/sys (core_pattern), /proc/sysrq-trigger, a rootfs dir" {
	mkdir -p "$BUNDLE/rootfs/opt/ro"
	cfg --arg cp "$SEC_CORE_PATTERN" 'args(["sh", "-c", "
		probe write /proc/sys/kernel/core_pattern \"$0\"; probe write /proc/sysrq-trigger h
		probe write /proc/sys/kernel/domainname x; probe write /opt/ro/f x; probe mounts"])
		| .process.args += [$cp] | rw_root | .linux.readonlyPaths += ["/opt/ro"]'
	run_ctr
	assert_line "probe: open /proc/sys/kernel/core_pattern: Read-only file system (EROFS)"
	assert_line "probe: open /proc/sys/kernel/domainname: Read-only file system (EROFS)"
	assert_line "probe: open /opt/ro/f: Read-only file system (EROFS)"
	refute_line_matching wrote=
	assert_mnt_opt /proc/sys ro
	assert_mnt_opt /opt/ro ro
	# Kernels built without magic sysrq have no such file: nothing to protect then.
	if [ -e /proc/sysrq-trigger ]; then
		assert_line "probe: open /proc/sysrq-trigger: Read-only file system (EROFS)"
		assert_mnt_opt /proc/sysrq-trigger ro
	else
		assert_line "probe: open /proc/sysrq-trigger: No such file or directory (ENOENT)"
	fi
}

# The runtime masks and remounts through "/proc/self/fd/N" after pivot_root. /proc/self is the
# container's init, /proc/1, and a config mount (an image VOLUME) can cover it or its fd
# directory with the image's own content: symlinks named like the runtime's fds.

@test "a volume over /proc/self full of fd symlinks to a decoy: masks still apply" {
	local vol=$BATS_TEST_TMPDIR/volume n
	mkdir -p "$vol/fd" "$BUNDLE/rootfs/decoydir"
	symlinks /decoydir "$vol/fd" 0 99
	make_secret
	# No readonly paths: their reopen check would stop this earlier.
	cfg --arg v "$vol" 'bind("/proc/self"; $v) | .linux.readonlyPaths = [] | args(["sh", "-c",
		"head -c 8 /opt/secret; head -c 8 /proc/keys | wc -c; ls -A /sys/firmware; echo end"])'
	run --separate-stderr corral_bg create "$CID"
	if [ "$status" -ne 0 ]; then
		note "refused: $stderr"
		assert_error
		assert_nothing_left "$CID"
		return 0
	fi
	corral start "$CID"
	wait_for_line "$(ctr_stdout "$CID")" end
	run cat "$(ctr_stdout "$CID")"
	note "created; the container saw: $output"
	refute_line_matching TOPSECRET
	assert_line 0
	[ "${#lines[@]}" -eq 2 ] || fail "/sys/firmware is not masked" "$output"
	corral delete -f "$CID"
}

@test "a volume over /proc/1/fd steering the runtime's fd paths: /proc/sys stays read-only" {
	# The volume passes every fd through to the init's real one (/proc/1/task/1/fd/N) but one,
	# N, which leads to /etc/hostname, a file bind mount as engines add: the remount that makes
	# a readonly path ro, or a mask, goes there instead. N is tried from 3 to 20, so the test
	# does not depend on the runtime's fd numbering.
	local n
	echo sec-host >"$BATS_TEST_TMPDIR/hostname"
	cfg --arg root "$BUNDLE/rootfs" --arg h "$BATS_TEST_TMPDIR/hostname" --arg cp "$SEC_CORE_PATTERN" \
		'.root.path = $root | mount("/etc/hostname"; "bind"; $h; ["bind", "ro"]) | bind("/proc/1/fd"; "@@VOL@@")
		| args(["sh", "-c", "probe write /proc/sys/kernel/core_pattern \"$0\"; head -c 8 /proc/keys | wc -c; echo end", $cp])'
	local template
	template=$(<"$BUNDLE/config.json")
	mkdir -p $(seq -f "$BATS_TEST_TMPDIR/fd/%g/vol" 3 20)
	for ((n = 3; n <= 20; n++)); do
		local b=$BATS_TEST_TMPDIR/fd/$n
		symlinks /proc/1/task/1/fd/%N "$b/vol" 0 $((n - 1))
		symlinks /etc/hostname "$b/vol" "$n" "$n"
		symlinks /proc/1/task/1/fd/%N "$b/vol" $((n + 1)) 63
		printf '%s\n' "${template//@@VOL@@/$b/vol}" >"$b/config.json"
	done
	run_loop 3 20 "$BATS_TEST_TMPDIR/fd/%N"
	local problems=() refused=() wrote=()
	for ((n = 3; n <= 20; n++)); do
		loop_result "$n"
		if [[ "$output" == *wrote=* ]]; then
			wrote+=("$n")
			problems+=("fd $n -> /etc/hostname: THE CONTAINER WROTE THE HOST'S core_pattern: $output")
		elif [ "$status" -ne 0 ] && [[ "$output" != *end* ]]; then
			refused+=("$n")
		elif [[ "$output" != *"core_pattern: Read-only file system"* ]] || [[ "$output" != *$'\n0\n'* ]]; then
			problems+=("fd $n: $output")
		fi
	done
	note "refused for fd ${refused[*]:-none}; core_pattern written for fd ${wrote[*]:-none}"
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	assert_nothing_left "$CID"
}
