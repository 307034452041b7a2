#!/usr/bin/env bats
# Linux security modules: process.apparmorProfile and `exec --apparmor`; process.selinuxLabel,
# which corral refuses on every host (labels are not applied). On a host without
# AppArmor (this development host) the profile is refused before anything is made; where
# AppArmor is enabled (Debian's kernel in the VM lane, tests/vm) a profile loaded by the test
# confines the container's process from its execve on, and an unknown one fails the create
# cleanly.

load lib/common
load lib/exec
load lib/audit

apparmor_enabled() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}

# apparmor_parser loads profiles through securityfs, which the VM's init does not mount: it
# is mounted once for the file, before any test takes its snapshot of the mount table, and
# unmounted at the end if this file mounted it.
setup_file() {
	common_setup_file
	SECURITYFS_MOUNTED=0
	if apparmor_enabled && [ ! -d /sys/kernel/security/apparmor ] &&
		mount -t securityfs securityfs /sys/kernel/security; then
		SECURITYFS_MOUNTED=1
	fi
	export SECURITYFS_MOUNTED
}

teardown_file() {
	[ "$SECURITYFS_MOUNTED" -eq 0 ] || umount /sys/kernel/security
}

# need_apparmor: skips unless AppArmor is enabled and a profile can be loaded.
need_apparmor() {
	apparmor_enabled || skip "AppArmor is not enabled on this host's kernel (the VM lane runs these)"
	command -v apparmor_parser >/dev/null || skip "apparmor_parser missing (Debian package apparmor)"
	[ -d /sys/kernel/security/apparmor ] ||
		fail "AppArmor is enabled but /sys/kernel/security/apparmor is missing (securityfs not mounted)"
}

# load_profile: a profile that allows everything but reading /etc/passwd, named after the test.
load_profile() {
	PROFILE=corral-test-$$-$BATS_TEST_NUMBER
	PROFILE_FILE=$BATS_TEST_TMPDIR/$PROFILE.aa
	cat >"$PROFILE_FILE" <<EOF
profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /etc/passwd r,
}
EOF
	apparmor_parser --replace --skip-cache "$PROFILE_FILE" 2>"$BATS_TEST_TMPDIR/parser.err" ||
		fail "apparmor_parser could not load $PROFILE" "$(cat "$BATS_TEST_TMPDIR/parser.err")"
}

setup() {
	common_setup
	PROFILE_FILE=
}

teardown() {
	common_teardown
	[ -z "$PROFILE_FILE" ] || apparmor_parser --remove "$PROFILE_FILE" 2>/dev/null || true
}

@test "apparmorProfile: refused before anything is made on a host without AppArmor" {
	! apparmor_enabled || skip "AppArmor is enabled on this host"
	update_config 'args("probe", "pid"); c["process"]["apparmorProfile"] = "corral-test-profile"'
	run --separate-stderr corral run "$CID"
	[ "$status" -ne 0 ] || fail "run with an AppArmor profile succeeded on a host without AppArmor"
	[[ "$stderr" == *apparmorProfile* && "$stderr" == *corral-test-profile* ]] ||
		fail "the error names neither the field nor the profile" "$(_run_context)"
	assert_nothing_left "$CID"
}

@test "apparmorProfile: the container's process runs confined by it from its execve on" {
	need_apparmor
	load_profile
	update_config "args('sh', '-c', 'cat /proc/self/attr/current; probe read /etc/passwd 2>&1; echo read=\$?');
c['process']['apparmorProfile'] = '$PROFILE'"
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line "$PROFILE (enforce)"
	# The profile's deny rule holds: the file exists in the image, the read is refused.
	[ -f "$BUNDLE/rootfs/etc/passwd" ] || fail "the rootfs has no /etc/passwd to deny"
	assert_output_contains "open /etc/passwd: Permission denied (EACCES)"
	refute_line read=0
	assert_nothing_left "$CID"
}

@test "exec --apparmor: the exec'd process gets the profile, the init keeps its own" {
	need_apparmor
	load_profile
	start_container
	run --separate-stderr corral exec --apparmor "$PROFILE" "$CID" cat /proc/self/attr/current
	assert_status 0
	[ "$output" = "$PROFILE (enforce)" ] || fail "the exec'd process runs as: $output"
	run --separate-stderr corral exec "$CID" cat /proc/self/attr/current
	assert_status 0
	[ "$output" = unconfined ] || fail "a plain exec got a profile: $output"
	[ "$(cat "/proc/$INIT_PID/attr/current")" = unconfined ] ||
		fail "the init's confinement changed: $(cat "/proc/$INIT_PID/attr/current")"
	assert_only_init
}

@test "apparmorProfile: a profile that is not loaded fails the create with its name, nothing left" {
	need_apparmor
	update_config 'args("probe", "pid"); c["process"]["apparmorProfile"] = "corral-no-such-profile"'
	run --separate-stderr corral create "$CID"
	[ "$status" -ne 0 ] || fail "create with an unknown AppArmor profile succeeded"
	[[ "$stderr" == *corral-no-such-profile* ]] || fail "the error does not name the profile" "$(_run_context)"
	assert_nothing_left "$CID"
}

@test "audit: credentials.lsm sees the configured profile on the container's PID 1" {
	need_apparmor
	load_profile
	start_container "c['process']['apparmorProfile'] = '$PROFILE'"
	[ "$(cat "/proc/$INIT_PID/attr/current")" = "$PROFILE (enforce)" ] ||
		fail "the init runs as: $(cat "/proc/$INIT_PID/attr/current")"
	audit_json "$CID"
	assert_check credentials.lsm pass
	assert_check_field credentials.lsm expected "$PROFILE"
	assert_check_field credentials.lsm observed "$PROFILE (enforce)"
	assert_only_init
}

@test "selinuxLabel: refused on every host, with the field and the label named, nothing left" {
	update_config 'args("probe", "pid"); c["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"'
	run --separate-stderr corral run "$CID"
	[ "$status" -ne 0 ] || fail "run with an SELinux label succeeded; corral does not apply labels"
	[[ "$stderr" == *selinuxLabel* && "$stderr" == *container_t* ]] ||
		fail "the error names neither the field nor the label" "$(_run_context)"
	assert_nothing_left "$CID"
}
