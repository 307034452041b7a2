#!/usr/bin/env bats
# `spec`, `features` and `--version`: the default config corral writes (the defaults
# SECURITY.md promises), refusing to overwrite, the rootless variant, and that the default runs.

load lib/common

# spec_get EXPR: a Python expression on $SPEC_DIR/config.json bound to j.
spec_get() { config_get -b "$SPEC_DIR" "$1"; }

setup() {
	common_setup
	SPEC_DIR=$BATS_TEST_TMPDIR/spec
	mkdir -p "$SPEC_DIR"
}

@test "spec -b writes a config.json with a 1.x ociVersion" {
	run --separate-stderr corral spec -b "$SPEC_DIR"
	assert_status 0
	[ -f "$SPEC_DIR/config.json" ]
	[[ "$(spec_get 'j["ociVersion"]')" == 1.* ]]
}

@test "spec without -b writes into the working directory" {
	cd "$SPEC_DIR"
	run --separate-stderr corral spec
	assert_status 0
	[ -f "$SPEC_DIR/config.json" ]
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"mine": true}' >"$SPEC_DIR/config.json"
	run --separate-stderr corral spec -b "$SPEC_DIR"
	assert_error "$SPEC_DIR/config.json"
	[ "$(cat "$SPEC_DIR/config.json")" = '{"mine": true}' ]
}

@test "spec into a missing directory fails naming it" {
	run --separate-stderr corral spec -b "$BATS_TEST_TMPDIR/no-such-dir"
	assert_error "$BATS_TEST_TMPDIR/no-such-dir" "no such file or directory"
}

@test "default root and process: rootfs read-only, sh, no terminal, root in /" {
	corral spec -b "$SPEC_DIR"
	[ "$(spec_get 'j["root"]')" = '{"path": "rootfs", "readonly": true}' ]
	[ "$(spec_get 'j["process"]["args"]')" = '["sh"]' ]
	[ "$(spec_get 'j["process"]["terminal"]')" = false ]
	[ "$(spec_get 'j["process"]["cwd"]')" = / ]
	[ "$(spec_get '(j["process"]["user"]["uid"], j["process"]["user"]["gid"])')" = '[0, 0]' ]
	[ "$(spec_get 'any(e.startswith("PATH=/") for e in j["process"]["env"])')" = true ]
	[ "$(spec_get 'j["process"]["noNewPrivileges"]')" = true ]
	[ "$(spec_get 'j["hostname"]')" = corral ]
}

@test "default namespaces: pid, network, ipc, uts, mount, cgroup, all new" {
	corral spec -b "$SPEC_DIR"
	[ "$(spec_get 'sorted(n["type"] for n in j["linux"]["namespaces"])')" = \
		'["cgroup", "ipc", "mount", "network", "pid", "uts"]' ]
	[ "$(spec_get 'any("path" in n for n in j["linux"]["namespaces"])')" = false ]
}

@test "default mounts: proc, dev, devpts, shm, mqueue, sysfs, cgroup, in this order" {
	corral spec -b "$SPEC_DIR"
	[ "$(spec_get '[(m["destination"], m["type"]) for m in j["mounts"]]')" = \
		'[["/proc", "proc"], ["/dev", "tmpfs"], ["/dev/pts", "devpts"], ["/dev/shm", "tmpfs"], ["/dev/mqueue", "mqueue"], ["/sys", "sysfs"], ["/sys/fs/cgroup", "cgroup"]]' ]
	# read-only sysfs and cgroupfs (SECURITY.md class 9)
	[ "$(spec_get '"ro" in j["mounts"][5]["options"] and "ro" in j["mounts"][6]["options"]')" = true ]
}

@test "default capabilities: AUDIT_WRITE, KILL, NET_BIND_SERVICE; no inheritable or ambient" {
	corral spec -b "$SPEC_DIR"
	want='["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	for set in bounding permitted effective; do
		[ "$(spec_get "sorted(j['process']['capabilities']['$set'])")" = "$want" ]
	done
	[ "$(spec_get 'j["process"]["capabilities"].get("inheritable", [])')" = '[]' ]
	[ "$(spec_get 'j["process"]["capabilities"].get("ambient", [])')" = '[]' ]
}

@test "default masked and read-only paths are the ones SECURITY.md lists" {
	corral spec -b "$SPEC_DIR"
	[ "$(spec_get 'sorted(j["linux"]["maskedPaths"])')" = "$(json_get 'sorted(j)' '[
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap"]')" ]
	[ "$(spec_get 'sorted(j["linux"]["readonlyPaths"])')" = \
		'["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]' ]
}

@test "default devices: deny all first" {
	corral spec -b "$SPEC_DIR"
	[ "$(spec_get 'j["linux"]["resources"]["devices"][0]')" = '{"allow": false, "access": "rwm"}' ]
}

@test "spec --rootless: a user namespace mapping the caller's ids" {
	run --separate-stderr corral spec --rootless -b "$SPEC_DIR"
	assert_status 0
	[ "$(spec_get '"user" in [n["type"] for n in j["linux"]["namespaces"]]')" = true ]
	[ "$(spec_get 'j["linux"]["uidMappings"]')" = "[{\"containerID\": 0, \"hostID\": $(id -u), \"size\": 1}]" ]
	[ "$(spec_get 'j["linux"]["gidMappings"]')" = "[{\"containerID\": 0, \"hostID\": $(id -g), \"size\": 1}]" ]
}

@test "the default config runs as it is, apart from its args" {
	# $BUNDLE was made with `corral spec`; only the process changes.
	update_config 'args("sh", "-c", "echo pid=$$; probe hostname; probe caps")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv hostname corral
	assert_kv pid 1
	assert_kv CapEff 0000000020000420
	assert_kv NoNewPrivs 1
}

@test "--version: the name and a version number" {
	run --separate-stderr corral --version
	assert_status 0
	[[ "${lines[0]}" =~ ^${CORRAL##*/}\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "${lines[0]}"
}

@test "features: JSON naming the hooks, namespaces and mount options supported" {
	run --separate-stderr corral features
	assert_status 0
	[[ "$(json_get 'j["ociVersionMax"]' "$output")" == 1.* ]]
	[ "$(json_get 'sorted(j["hooks"])' "$output")" = \
		'["createContainer", "createRuntime", "poststart", "poststop", "prestart", "startContainer"]' ]
	[ "$(json_get 'sorted(j["linux"]["namespaces"])' "$output")" = \
		'["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]' ]
	# AppArmor profiles are applied where the host runs AppArmor (lsm.bats, in the VM lane).
	[ "$(json_get 'j["linux"]["apparmor"]["enabled"]' "$output")" = true ]
	[ "$(json_get 'j["linux"]["selinux"]["enabled"]' "$output")" = false ]
	[ "$(json_get 'all(o in j["mountOptions"] for o in ["ro", "nosuid", "nodev", "noexec", "bind", "rbind"])' "$output")" = true ]
}
