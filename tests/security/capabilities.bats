#!/usr/bin/env bats
# SECURITY.md class 7, capabilities given by inheritance (runc CVE-2022-29162, crun
# CVE-2022-27650): the inheritable and ambient sets stay empty unless the config asks, and the
# bounding/effective/permitted sets are exactly the config's, whatever the state of the
# process that starts the runtime.

load lib/security

# The default capabilities of `corral spec`: AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10).
DEFAULT_CAPS=0000000020000420
NET_BIND_SERVICE=0000000000000400

# assert_caps INH PRM EFF BND AMB: the `probe caps` lines of $output.
assert_caps() {
	assert_kv CapInh "$1"
	assert_kv CapPrm "$2"
	assert_kv CapEff "$3"
	assert_kv CapBnd "$4"
	assert_kv CapAmb "$5"
}

@test "default config: CapInh and CapAmb are 0, the other sets are the config's" {
	cfg 'args(["probe", "caps"])'
	run_ctr
	assert_status 0
	assert_caps 0000000000000000 $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS 0000000000000000
	assert_kv NoNewPrivs 1
}

@test "a runtime started with full inheritable and raised ambient caps gives the container none" {
	# with-caps makes every capability inheritable and raises five ambient ones, then execs
	# the runtime: a runtime that never clears inheritable/ambient hands them to the container.
	CORRAL_WRAP=("$SEC_HELPERS/with-caps")
	cfg 'args(["probe", "caps"])'
	run_ctr
	assert_status 0
	assert_caps 0000000000000000 $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS 0000000000000000
}

@test "a config without a capabilities object: still no inheritable or ambient caps" {
	# What "unless the config asks" means when it asks nothing: the container is root with the
	# runtime's permitted set, but nothing in inheritable or ambient, even from a dirty parent.
	CORRAL_WRAP=("$SEC_HELPERS/with-caps")
	cfg 'args(["probe", "caps"]) | del(.process.capabilities)'
	run_ctr
	assert_status 0
	assert_kv CapInh 0000000000000000
	assert_kv CapAmb 0000000000000000
}

@test "ambient caps in the config: exactly those, inheritable exactly the config's" {
	cfg 'args(["probe", "caps"])
		| .process.capabilities.inheritable = ["CAP_NET_BIND_SERVICE"]
		| .process.capabilities.ambient = ["CAP_NET_BIND_SERVICE"]'
	run_ctr
	assert_status 0
	assert_caps $NET_BIND_SERVICE $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS $NET_BIND_SERVICE
}

@test "inheritable in the config without ambient: CapAmb stays 0" {
	cfg 'args(["probe", "caps"]) | .process.capabilities.inheritable = ["CAP_KILL"]'
	run_ctr
	assert_status 0
	assert_caps 0000000000000020 $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS 0000000000000000
}

@test "a non-root user: no caps survive exec unless ambient, bounding is the config's" {
	cfg 'args(["probe", "caps"]) | .process.user = {uid: 1000, gid: 1000}'
	run_ctr
	assert_status 0
	assert_caps 0000000000000000 0000000000000000 0000000000000000 $DEFAULT_CAPS 0000000000000000
}

@test "a non-root user with an ambient cap: exactly that one, through exec" {
	cfg 'args(["probe", "caps"]) | .process.user = {uid: 1000, gid: 1000}
		| .process.capabilities.inheritable = ["CAP_NET_BIND_SERVICE"]
		| .process.capabilities.ambient = ["CAP_NET_BIND_SERVICE"]'
	run_ctr
	assert_status 0
	assert_caps $NET_BIND_SERVICE $NET_BIND_SERVICE $NET_BIND_SERVICE $DEFAULT_CAPS $NET_BIND_SERVICE
}
