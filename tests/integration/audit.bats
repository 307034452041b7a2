#!/usr/bin/env bats
# corral audit against live containers: for each family of checks a container configured to
# pass and one configured (or tampered with from the host after start) to fail, with the
# verdict, the level and the exit code; the report formats (JSON against docs/audit.schema.json,
# SARIF, JUnit, table); exit code 2 for every audit that cannot run; policy files; --pid of a host
# process; and an audit that leaves nothing behind (no tracer on PID 1).

load lib/common
load lib/audit

setup() {
	common_setup
	if [ "$(stat -f -c %T "$CGROUP_ROOT")" = cgroup2fs ]; then CG=v2; else CG=v1; fi
	SIBLINGS=()
}

teardown() {
	common_teardown
	# Sibling groups of the membership test: the process moved there died with its pid namespace.
	local d
	for d in "${SIBLINGS[@]}"; do
		retry 50 0.1 rmdir "$d" 2>/dev/null || [ ! -d "$d" ] || fail "cannot remove $d"
	done
}

# ---- namespaces ------------------------------------------------------------------------------

@test "namespaces: every namespace of its own passes conformance and hardening, exit 0" {
	start_ctr
	audit_json "$CID"
	assert_status 0
	validate_report
	local t
	for t in pid net mnt ipc uts cgroup; do
		assert_check "namespaces.$t" pass error
		assert_check "hardening.host-namespace.$t" pass
	done
	assert_check_field namespaces.net expected "a new net namespace"
	assert_check_field namespaces.net observed "net:[$(stat -L -c %i "/proc/$PID/ns/net")]"
	# Not asked for by the default config: shared with the host, as configured; a hardening
	# finding at info only.
	assert_check namespaces.user pass
	assert_check hardening.host-namespace.user fail info
	[ "$(report_get 'j["result"]')" = pass ]
	# Every failure blocks at --fail-on info (hardening.host-namespace.user is one).
	local failed
	failed=$(report_get 'j["summary"]["failed"]')
	[ "$failed" -ge 1 ]
	audit_json --fail-on info "$CID"
	assert_status 1
	[ "$(report_get 'j["summary"]["failedBlocking"]')" = "$failed" ]
	audit_json "$CID"
	[ "$(report_get "j['target'] == {'id': '$CID', 'pid': $PID, 'bundle': '$BUNDLE', 'config': True}")" = true ] ||
		fail "target: $(report_get 'j["target"]')"
}

@test "namespaces: the host network namespace is conformant but fails hardening, exit 1" {
	start_ctr 'drop_ns("network")'
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check namespaces.net pass error
	assert_check_field namespaces.net explanation "as configured"
	assert_check hardening.host-namespace.net fail error
	assert_check_field hardening.host-namespace.net observed "shared with the host (net:[$(host_ns net)])"
	assert_check hardening.host-namespace.pid pass
	[ "$(report_get 'j["result"]')" = fail ]
	[ "$(report_get 'j["summary"]["failedBlocking"]')" = 1 ]
}

@test "namespaces: a namespace joined by path passes as joined as configured" {
	start_ctr
	local first=$PID second=$BATS_TEST_TMPDIR/second id2
	id2=$(new_id second)
	make_bundle "$second" "$id2"
	update_config -b "$second" "args('probe', 'trap'); ns('network', '/proc/$first/ns/net'); ns('ipc', '/proc/$first/ns/ipc')"
	run --separate-stderr corral_bg run -d -b "$second" "$id2"
	assert_status 0
	wait_for_line "$(ctr_stdout "$id2")" ready
	container_pid "$id2" >/dev/null
	audit_json "$id2"
	assert_status 0
	assert_check namespaces.net pass
	assert_check_field namespaces.net explanation "joined as configured"
	assert_check_field namespaces.net expected "the namespace of /proc/$first/ns/net"
	assert_check namespaces.ipc pass
	assert_check_field namespaces.ipc explanation "joined as configured"
	assert_check hardening.host-namespace.net pass
	# A namespace of its own where the config says new.
	assert_check_field namespaces.uts explanation "as configured"
}

# ---- user ------------------------------------------------------------------------------------

@test "user: no user namespace: the identity map is conformant, host root is a warning" {
	start_ctr
	audit_json "$CID"
	assert_status 0
	assert_check user.uid_map pass error
	assert_check_field user.uid_map observed "0 0 4294967295"
	assert_check user.gid_map pass error
	assert_check hardening.run-as-host-root fail warning
	assert_check hardening.host-namespace.user fail info
}

@test "user: a user namespace with mappings passes its maps, its namespace and host root" {
	load lib/userns
	userns
	start_ctr
	audit_json "$CID"
	validate_report
	assert_check namespaces.user pass error
	assert_check hardening.host-namespace.user pass info
	assert_check user.uid_map pass error
	assert_check_field user.uid_map observed "0 $HOST_BASE 65536"
	assert_check user.gid_map pass error
	assert_check_field user.gid_map observed "0 $HOST_BASE 65536"
	assert_check hardening.run-as-host-root pass
	assert_check_field hardening.run-as-host-root observed "host uid $HOST_BASE"
	# Still root inside.
	assert_check hardening.run-as-non-root fail info
	assert_check_field hardening.run-as-non-root observed "uid 0 inside"
}

# ---- credentials -----------------------------------------------------------------------------

@test "capabilities: the default set passes; CAP_SYS_ADMIN in the config fails privileged, exit 1" {
	start_ctr
	audit_json "$CID"
	assert_status 0
	assert_check hardening.capabilities.privileged pass error
	assert_check hardening.capabilities.drop-all fail info
	local s
	for s in bounding effective permitted inheritable ambient; do
		assert_check "credentials.capabilities.$s" pass error
	done
	run --separate-stderr corral delete -f "$CID"

	CID=$(new_id admin)
	start_ctr "
for k in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][k].append('CAP_SYS_ADMIN')"
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check hardening.capabilities.privileged fail error
	assert_check_field hardening.capabilities.privileged observed CAP_SYS_ADMIN
	# Granted by the config: conformant.
	for s in bounding effective permitted inheritable ambient; do
		assert_check "credentials.capabilities.$s" pass error
	done
}

@test "capabilities: a process exec'd with a capability the config lacks fails conformance, naming its pid" {
	start_ctr
	exec_bg --cap CAP_NET_RAW "$CID" sleep 100
	# The exec'd process really holds CAP_NET_RAW (13) in its effective set.
	local eff
	eff=$(awk '$1 == "CapEff:" {print $2}' "/proc/$EPID/status")
	(((0x$eff >> 13) & 1)) || fail "exec --cap CAP_NET_RAW: CapEff $eff"
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check credentials.capabilities.effective fail error
	assert_check_field credentials.capabilities.effective observed "pid $EPID: +CAP_NET_RAW"
	# PID 1 is within the config and is not named.
	local obs
	obs=$(check_field credentials.capabilities.effective observed)
	[[ "$obs" != *"pid $PID:"* ]] || fail "PID 1 named: $obs"
	# The hardening checks look at PID 1 only: NET_RAW is outside the baseline set.
	assert_check hardening.capabilities.privileged pass
}

@test "seccomp: none is a warning (exit 0), blocking with --fail-on warning or --preset restricted" {
	start_ctr 'lx.pop("seccomp", None)'
	audit_json "$CID"
	assert_status 0
	assert_check hardening.seccomp.unconfined fail warning
	assert_check_field hardening.seccomp.unconfined observed "Seccomp: 0"
	assert_check credentials.seccomp pass error
	assert_check_field credentials.seccomp expected "none configured"
	refute_check credentials.seccomp.filter
	[ "$(report_get 'j["result"]')" = pass ]
	[ "$(report_get 'j["summary"]["failedByLevel"]["warning"] >= 1')" = true ]

	audit_json --fail-on warning "$CID"
	assert_status 1
	validate_report
	[ "$(report_get 'j["failOn"]')" = warning ]
	assert_check hardening.seccomp.unconfined fail warning

	audit_json --preset restricted "$CID"
	assert_status 1
	validate_report
	assert_check hardening.seccomp.unconfined fail error
	[ "$(report_get 'j["policy"] == {"name": "restricted", "source": "preset"}')" = true ]
}

@test "seccomp: the default profile passes, its BPF is the one corral compiles; no tracer left" {
	rm "$BUNDLE/config.json"
	"$CORRAL" spec --seccomp -b "$BUNDLE"
	update_config 'c["process"]["terminal"] = False'
	start_ctr
	audit_json --fail-on warning "$CID"
	validate_report
	assert_check hardening.seccomp.unconfined pass warning
	assert_check_field hardening.seccomp.unconfined observed "Seccomp: 2"
	assert_check credentials.seccomp pass error
	local st
	st=$(check_field credentials.seccomp.filter status)
	if [ "$st" = skip ]; then
		assert_check_field credentials.seccomp.filter explanation "the kernel does not let us read the filter"
	else
		assert_check credentials.seccomp.filter pass error
		assert_check_field credentials.seccomp.filter observed ", identical"
	fi
	# The dump seized PID 1 with ptrace: it must be detached, and running again.
	grep -qx $'TracerPid:\t0' "/proc/$PID/status" || fail "PID 1 still traced:" "$(grep TracerPid "/proc/$PID/status")"
	[[ "$(proc_state "$PID")" == [SR] ]] || fail "PID 1 in state $(proc_state "$PID")"
	[ "$(state_field "$CID" status)" = running ]
	# and it still handles signals: the trap prints what it got.
	kill -USR1 "$PID"
	wait_for_line "$(ctr_stdout "$CID")" signal=10
}

@test "no-new-privs: set as configured passes; false fails the hardening check at info" {
	start_ctr 'c["process"]["noNewPrivileges"] = False'
	audit_json "$CID"
	assert_status 0
	assert_check credentials.no-new-privs pass error
	assert_check hardening.no-new-privs fail info
	assert_check_field hardening.no-new-privs observed "NoNewPrivs: 0"
	audit_json --preset restricted "$CID"
	assert_status 1
	assert_check hardening.no-new-privs fail error
}

@test "seccomp: a paused container with a filter is audited promptly and left running after resume" {
	rm "$BUNDLE/config.json"
	"$CORRAL" spec --seccomp -b "$BUNDLE"
	update_config 'c["process"]["terminal"] = False'
	start_ctr
	corral pause "$CID"
	# The filter dump stops PID 1 under ptrace; a frozen PID 1 must not make the audit hang.
	RUNTIME_TIMEOUT=15 audit_json "$CID"
	[ "$status" -ne 124 ] || fail "audit of a paused container hung (killed after 15 s)"
	assert_status 0
	validate_report
	assert_check credentials.seccomp pass
	[[ "$(check_field credentials.seccomp.filter status)" == @(pass|skip) ]]
	[ "$(state_field "$CID" status)" = paused ]
	corral resume "$CID"
	grep -qx $'TracerPid:\t0' "/proc/$PID/status"
	kill -USR1 "$PID"
	wait_for_line "$(ctr_stdout "$CID")" signal=10
}

# ---- filesystem ------------------------------------------------------------------------------

@test "masked paths: pass as started; a mask unmounted from the host fails, exit 1" {
	# A masked file the host has (/proc/kcore is absent on some kernels): bound over by /dev/null.
	local path
	path=$(config_get 'next((p for p in j["linux"]["maskedPaths"] if __import__("os").path.isfile(p)), "")')
	[ -n "$path" ] || skip "no masked path of the default config is a file on this host"
	start_ctr
	audit_json "$CID"
	assert_status 0
	assert_check filesystem.masked-paths pass error
	assert_check_field filesystem.masked-paths observed "all masked or absent"
	in_ctr_mnt umount "$path"
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check filesystem.masked-paths fail error
	assert_check_field filesystem.masked-paths observed "$path is visible"
}

@test "read-only paths: pass as started; one remounted read-write from the host fails" {
	[ "$(config_get '"/proc/sys" in j["linux"]["readonlyPaths"]')" = true ] ||
		skip "the default config does not make /proc/sys read-only"
	start_ctr
	audit_json "$CID"
	assert_check filesystem.readonly-paths pass error
	in_ctr_mnt mount -o remount,bind,rw /proc/sys
	audit_json "$CID"
	assert_status 1
	assert_check filesystem.readonly-paths fail error
	assert_check_field filesystem.readonly-paths observed "writable: /proc/sys"
}

@test "root: read-only passes both checks; writable fails hardening (info in baseline, warning in restricted)" {
	start_ctr 'c["root"]["readonly"] = True'
	audit_json "$CID"
	assert_check filesystem.root-readonly pass error
	assert_check hardening.root.writable pass info
	run --separate-stderr corral delete -f "$CID"

	CID=$(new_id rw)
	start_ctr 'c["root"]["readonly"] = False'
	audit_json "$CID"
	assert_status 0
	assert_check filesystem.root-readonly pass error
	assert_check_field filesystem.root-readonly expected "not required"
	assert_check hardening.root.writable fail info
	audit_json --preset restricted "$CID"
	assert_check hardening.root.writable fail warning
	audit_json --preset restricted --fail-on warning "$CID"
	assert_status 1
}

@test "root: a read-only root remounted read-write from the host fails conformance, exit 1" {
	start_ctr 'c["root"]["readonly"] = True'
	in_ctr_mnt mount -o remount,bind,rw /
	audit_json "$CID"
	assert_status 1
	assert_check filesystem.root-readonly fail error
	assert_check_field filesystem.root-readonly observed writable
	assert_check hardening.root.writable fail info
}

@test "undeclared mounts: none as started; a tmpfs mounted from the host fails, naming it" {
	mkdir -p "$BUNDLE/rootfs/mnt"
	start_ctr
	audit_json "$CID"
	assert_check filesystem.undeclared-mounts pass error
	assert_check filesystem.propagation pass error
	in_ctr_mnt mount -t tmpfs audit-test /mnt
	audit_json "$CID"
	assert_status 1
	assert_check filesystem.undeclared-mounts fail error
	assert_check_field filesystem.undeclared-mounts observed "/mnt (tmpfs audit-test)"
}

@test "host mounts: a bound engine socket fails hardening.host-mounts (declared: conformant), exit 1" {
	local sock=$BATS_TEST_TMPDIR/docker.sock
	"$PYTHON" -S -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
	[ -S "$sock" ]
	mkdir -p "$BUNDLE/rootfs/run"
	start_ctr
	audit_json "$CID"
	assert_check hardening.host-mounts pass error
	run --separate-stderr corral delete -f "$CID"

	CID=$(new_id sock)
	start_ctr "mount('/run/docker.sock', 'bind', '$sock', 'bind')"
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check hardening.host-mounts fail error
	assert_check_field hardening.host-mounts observed "/run/docker.sock: a container engine's socket"
	assert_check filesystem.undeclared-mounts pass
}

@test "host mounts: a writable cgroupfs bind fails hardening.host-mounts" {
	start_ctr "mount('/hostcg', 'bind', '$(cgroup2_root)', 'bind', 'rw')"
	audit_json "$CID"
	assert_status 1
	assert_check hardening.host-mounts fail error
	assert_check_field hardening.host-mounts observed "/hostcg: writable cgroup2"
}

# ---- cgroups ---------------------------------------------------------------------------------

@test "limits: none is an info finding (exit 0); configured ones pass conformance and hardening" {
	start_ctr 'lx["resources"].pop("memory", None); lx["resources"].pop("pids", None)'
	audit_json "$CID"
	assert_status 0
	assert_check hardening.limits.memory fail info
	assert_check_field hardening.limits.memory observed unlimited
	assert_check hardening.limits.pids fail info
	refute_check cgroups.limits.memory
	refute_check cgroups.limits.pids
	audit_json --preset restricted "$CID"
	assert_check hardening.limits.memory fail warning
	assert_check hardening.limits.pids fail warning
	run --separate-stderr corral delete -f "$CID"

	CID=$(new_id limits)
	start_ctr 'lx.setdefault("resources", {}).update({"memory": {"limit": 67108864}, "pids": {"limit": 100}, "cpu": {"quota": 50000, "period": 100000}})'
	audit_json "$CID"
	assert_status 0
	validate_report
	assert_check hardening.limits.memory pass info
	assert_check_field hardening.limits.memory observed 67108864
	assert_check hardening.limits.pids pass info
	assert_check cgroups.limits.memory pass error
	assert_check_field cgroups.limits.memory observed 67108864
	assert_check cgroups.limits.pids pass error
	assert_check_field cgroups.limits.pids observed 100
	assert_check cgroups.limits.cpu-quota pass error
	assert_check cgroups.membership pass error
}

@test "limits: no linux.resources at all is still audited (limits info, devices)" {
	start_ctr 'lx.pop("resources", None)'
	audit_json "$CID"
	validate_report
	assert_check hardening.limits.memory fail info
	assert_check hardening.limits.pids fail info
	refute_check cgroups.limits.devices
	assert_check cgroups.membership pass error
}

@test "limits: a limit changed from the host after start fails conformance, exit 1" {
	start_ctr 'lx.setdefault("resources", {}).update({"memory": {"limit": 67108864}, "pids": {"limit": 100}})'
	local pids_dir
	pids_dir=$(json_get "next(d for k, d in j['cgroupPaths'].items() if '$CG' == 'v2' or 'pids' in k.split(','))" \
		"$(cat "$STATE_ROOT/$CID/state.json")")
	echo 50 >"$pids_dir/pids.max"
	audit_json "$CID"
	assert_status 1
	assert_check cgroups.limits.pids fail error
	assert_check_field cgroups.limits.pids expected 100
	assert_check_field cgroups.limits.pids observed 50
	assert_check cgroups.limits.memory pass
	# Still a limit: the hardening check passes.
	assert_check hardening.limits.pids pass
}

@test "devices: the default allowlist passes; an allow-all rule fails hardening.devices.unrestricted" {
	start_ctr
	audit_json "$CID"
	assert_check hardening.devices.unrestricted pass error
	assert_check_field hardening.devices.unrestricted observed restricted
	assert_check cgroups.limits.devices pass error
	assert_check misc.devices pass error
	run --separate-stderr corral delete -f "$CID"

	CID=$(new_id alldev)
	start_ctr 'lx["resources"]["devices"] = [{"allow": True, "access": "rwm"}]'
	audit_json "$CID"
	assert_status 1
	assert_check hardening.devices.unrestricted fail error
	assert_check_field hardening.devices.unrestricted observed unrestricted
	# Allowing everything is what this config says.
	assert_check cgroups.limits.devices pass error
}

@test "membership: a process moved out of the container's groups from the host fails, naming its pid" {
	start_ctr
	exec_bg "$CID" sleep 100
	audit_json "$CID"
	assert_check cgroups.membership pass error
	assert_check_field cgroups.membership observed "2 processes inside"

	local dirs d root sib
	dirs=$(json_get "'\n'.join(j['cgroupPaths'].values())" "$(cat "$STATE_ROOT/$CID/state.json")")
	for d in $dirs; do
		root=${d%/"${CGROUP_PARENT:-corral}"/"$CID"}
		[ "$root" != "$d" ] || fail "unexpected group $d"
		sib=$root/corral-audit-test-$$
		mkdir "$sib"
		SIBLINGS+=("$sib")
		if [ -e "$sib/cpuset.cpus" ]; then
			cat "$root/cpuset.cpus" >"$sib/cpuset.cpus"
			cat "$root/cpuset.mems" >"$sib/cpuset.mems"
		fi
		echo "$EPID" >"$sib/cgroup.procs"
	done
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check cgroups.membership fail error
	assert_check_field cgroups.membership observed "pid $EPID in "
	assert_check_field cgroups.membership observed "corral-audit-test-$$"
	local obs
	obs=$(check_field cgroups.membership observed)
	[[ "$obs" != *"pid $PID "* ]] || fail "PID 1 named: $obs"
	# Back into the container's groups, so that delete kills it with the rest.
	for d in $dirs; do echo "$EPID" >"$d/cgroup.procs"; done
	audit_json "$CID"
	assert_status 0
	assert_check cgroups.membership pass
}

# ---- misc ------------------------------------------------------------------------------------

@test "misc: rlimits, oom_score_adj and a sysctl in its own netns pass as configured" {
	start_ctr 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048}]
c["process"]["oomScoreAdj"] = 300
ns("network"); lx["sysctl"] = {"net.ipv4.ip_forward": "1"}'
	audit_json "$CID"
	assert_status 0
	validate_report
	assert_check misc.rlimits pass error
	assert_check misc.oom-score-adj pass warning
	assert_check_field misc.oom-score-adj observed 300
	assert_check misc.sysctls pass error
	assert_check misc.devices pass error
}

@test "misc: rlimits, oom_score_adj, sysctls and a device node changed from the host fail" {
	start_ctr 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048}]
c["process"]["oomScoreAdj"] = 300
ns("network"); lx["sysctl"] = {"net.ipv4.ip_forward": "1"}'
	prlimit --pid "$PID" --nofile=256:1024
	echo 400 >"/proc/$PID/oom_score_adj"
	nsenter -t "$PID" -n sysctl -q -w net.ipv4.ip_forward=0
	in_ctr_mnt mknod /dev/audit-extra c 1 7
	audit_json "$CID"
	assert_status 1
	validate_report
	assert_check misc.rlimits fail error
	assert_check_field misc.rlimits observed "RLIMIT_NOFILE 256/1024 (want 512/2048)"
	assert_check misc.oom-score-adj fail warning
	assert_check_field misc.oom-score-adj observed 400
	assert_check misc.sysctls fail error
	assert_check_field misc.sysctls observed "net.ipv4.ip_forward=0 (want 1)"
	assert_check misc.devices fail error
	assert_check_field misc.devices observed /dev/audit-extra
}

# ---- formats ---------------------------------------------------------------------------------

@test "json: the report validates against docs/audit.schema.json, passing and failing" {
	start_ctr 'drop_ns("network")'
	audit_json "$CID"
	assert_status 1
	validate_report
	[ "$(report_get 'j["version"]')" = 1 ]
	[ "$(report_get 'j["tool"]["name"]')" = corral ]
	[ "$(report_get 'j["failOn"]')" = error ]
	[ "$(report_get 'j["policy"] == {"name": "baseline", "source": "preset"}')" = true ]
	# Every check family ran.
	local cats
	cats=$(report_get '" ".join(sorted({c["category"] for c in j["checks"]}))')
	[ "$cats" = "cgroups credentials filesystem misc namespaces user" ] || fail "categories: $cats"
	local id
	for id in namespaces.pid.children user.setgroups credentials.no-new-privs \
		filesystem.propagation filesystem.readonly-paths; do
		check_field "$id" status >/dev/null || fail "no check $id" "$output"
	done
	# The validator itself rejects a bad report.
	local bad
	bad=$(report_get 'j.update(result="pass") or json.dumps(j)')
	run validate_report "$bad"
	[ "$status" -ne 0 ]
	bad=$(json_get 'j["checks"][0].update(status="maybe") or json.dumps(j)' "$(corral audit --format json "$CID" || true)")
	run validate_report "$bad"
	[ "$status" -ne 0 ]
}

@test "sarif: version 2.1.0, one result per failed check, with its level" {
	start_ctr 'drop_ns("network"); lx.pop("seccomp", None)'
	audit_json "$CID"
	local report=$output
	run --separate-stderr corral audit --format sarif "$CID"
	assert_status 1
	"$PYTHON" -S - "$output" "$report" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
r = json.loads(sys.argv[2])
assert s["version"] == "2.1.0", s["version"]
assert len(s["runs"]) == 1
run = s["runs"][0]
failed = {c["id"]: c for c in r["checks"] if c["status"] == "fail"}
got = [x["ruleId"] for x in run["results"]]
assert sorted(got) == sorted(failed), (got, sorted(failed))
lv = {"error": "error", "warning": "warning", "info": "note"}
for x in run["results"]:
    assert x["level"] == lv[failed[x["ruleId"]]["level"]], x
rules = {x["id"]: x for x in run["tool"]["driver"]["rules"]}
assert set(rules) == {c["id"] for c in r["checks"]}, sorted(set(rules) ^ {c["id"] for c in r["checks"]})
assert failed["hardening.host-namespace.net"]["level"] == "error"
assert failed["hardening.seccomp.unconfined"]["level"] == "warning"
for x in run["results"]:
    assert x["ruleIndex"] == list(rules).index(x["ruleId"]), x
    assert x["locations"][0]["logicalLocations"][0]["name"] == r["target"]["id"], x["locations"]
p = run["properties"]
assert p["summary"] == r["summary"] and p["result"] == r["result"] == "fail" and p["exitCode"] == 1, p
EOF
}

@test "junit: parses, one testcase per check, failures == failed checks" {
	start_ctr 'drop_ns("network")'
	audit_json "$CID"
	local report=$output
	run --separate-stderr corral audit --format junit "$CID"
	assert_status 1
	"$PYTHON" -S - "$output" "$report" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.fromstring(sys.argv[1])
r = json.loads(sys.argv[2])
cases = root.findall(".//testcase")
assert len(cases) == len(r["checks"]), (len(cases), len(r["checks"]))
failed = {c["id"]: c for c in r["checks"] if c["status"] == "fail"}
skipped = {c["id"] for c in r["checks"] if c["status"] == "skip"}
f = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
assert set(f) == set(failed), (sorted(f), sorted(failed))
for name, el in f.items():
    assert el.get("type") == failed[name]["level"], (name, el.get("type"))
assert {c.get("name") for c in cases if c.find("skipped") is not None} == skipped
for c in cases:
    cat = next(x for x in r["checks"] if x["id"] == c.get("name"))["category"]
    assert c.get("classname") == "corral.audit." + cat, c.attrib
suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
assert sum(int(s.get("failures")) for s in suites) == len(failed)
assert sum(int(s.get("tests")) for s in suites) == len(r["checks"])
if root.tag == "testsuites" and root.get("failures") is not None:
    assert int(root.get("failures")) == len(failed)
EOF
}

@test "table: one line per check, with its verdict and level, and a summary line" {
	start_ctr 'drop_ns("network")'
	audit_json "$CID"
	local report=$output
	run --separate-stderr corral audit --format table "$CID"
	assert_status 1
	"$PYTHON" -S - "$output" "$report" <<'EOF'
import json, re, sys
table = sys.argv[1].splitlines()
r = json.loads(sys.argv[2])
assert "\x1b" not in sys.argv[1], "colour codes on a pipe"
word = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
for c in r["checks"]:
    hit = [l for l in table if re.match(r"^\s*(PASS|FAIL|SKIP)\s+\w+\s+" + re.escape(c["id"]) + r"(\s|$)", l)]
    assert len(hit) == 1, (c["id"], hit)
    assert hit[0].split()[0] == word[c["status"]], (c["id"], hit[0])
    assert hit[0].split()[1] == c["level"], (c["id"], hit[0])
verdicts = [l for l in table if re.match(r"^\s*(PASS|FAIL|SKIP)\s", l)]
assert len(verdicts) == len(r["checks"]), (len(verdicts), len(r["checks"]))
assert "FAIL" in table[-1] and str(r["summary"]["failed"]) in table[-1], table[-1]
EOF
}

# ---- exit codes ------------------------------------------------------------------------------

@test "exit 2: missing or stopped container, bad flags; nothing on stdout, one line on stderr" {
	audit_json no-such-container
	assert_no_audit no-such-container
	run --separate-stderr corral audit no-such-container
	assert_no_audit

	update_config 'args("true")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_status "$CID" stopped
	audit_json "$CID"
	assert_no_audit "$CID" stopped
	run --separate-stderr corral delete "$CID"

	CID=$(new_id live)
	start_ctr
	run --separate-stderr corral audit --format yaml "$CID"
	assert_no_audit yaml
	run --separate-stderr corral audit --fail-on fatal "$CID"
	assert_no_audit fail-on
	run --separate-stderr corral audit --preset strict "$CID"
	assert_no_audit strict
	run --separate-stderr corral audit --pid "$PID" "$CID"
	assert_no_audit
	run --separate-stderr corral audit
	assert_no_audit
	run --separate-stderr corral audit --pid 0
	assert_no_audit
	run --separate-stderr corral audit --policy /dev/null --preset baseline "$CID"
	assert_no_audit
	run --separate-stderr corral audit --no-such-flag "$CID"
	assert_status 2
	[ -z "$output" ]
	# A pid that does not exist.
	run --separate-stderr corral audit --pid 999999999
	assert_no_audit
}

@test "exit 2: bad policy files (missing, not JSON, unknown key, bad level, unknown preset)" {
	start_ctr
	local p=$BATS_TEST_TMPDIR/policy.json
	run --separate-stderr corral audit --policy "$BATS_TEST_TMPDIR/nope.json" "$CID"
	assert_no_audit nope.json
	echo '{"checks": ' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit "$p"
	echo '{"rules": {}}' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit rules
	echo '{"checks": {"hardening.limits": {"level": "fatal"}}}' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit hardening.limits level
	echo '{"checks": {"hardening.limits": {"enabled": "no"}}}' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit enabled
	echo '{"checks": {"hardening.limits": {"levle": "info"}}}' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit levle
	echo '{"extends": "paranoid"}' >"$p"
	run --separate-stderr corral audit --policy "$p" "$CID"
	assert_no_audit paranoid
}

# ---- policies --------------------------------------------------------------------------------

@test "policy: disabling the failing check makes exit 0 and removes it from the report" {
	start_ctr 'drop_ns("network")'
	local p=$BATS_TEST_TMPDIR/policy.json
	echo '{"name": "hostnet-ok", "extends": "baseline", "checks": {"hardening.host-namespace.net": {"enabled": false}}}' >"$p"
	audit_json --policy "$p" "$CID"
	assert_status 0
	validate_report
	refute_check hardening.host-namespace.net
	assert_check namespaces.net pass
	assert_check hardening.host-namespace.pid pass error
	[ "$(report_get "j['policy'] == {'name': 'hostnet-ok', 'source': '$p'}")" = true ]
	[ "$(report_get 'j["result"]')" = pass ]
}

@test "policy: raising a level to error makes exit 1" {
	start_ctr 'lx.pop("seccomp", None)'
	local p=$BATS_TEST_TMPDIR/policy.json
	echo '{"extends": "baseline", "checks": {"hardening.seccomp.unconfined": {"level": "error"}}}' >"$p"
	audit_json --policy "$p" "$CID"
	assert_status 1
	validate_report
	assert_check hardening.seccomp.unconfined fail error
	[ "$(report_get 'j["summary"]["failedBlocking"]')" = 1 ]
	# Without extends the file's rules apply on the checks' own levels.
	echo '{"checks": {"hardening.seccomp.unconfined": {"level": "info"}}}' >"$p"
	audit_json --policy "$p" --fail-on warning "$CID"
	assert_check hardening.seccomp.unconfined fail info
}

@test "policy: a prefix applies to every check under it, at a dot boundary only" {
	start_ctr 'lx["resources"].pop("memory", None); lx["resources"].pop("pids", None)'
	local p=$BATS_TEST_TMPDIR/policy.json
	echo '{"extends": "baseline", "checks": {"hardening.limits": {"level": "error"}}}' >"$p"
	audit_json --policy "$p" "$CID"
	assert_status 1
	assert_check hardening.limits.memory fail error
	assert_check hardening.limits.pids fail error
	[ "$(report_get 'j["summary"]["failedBlocking"]')" = 2 ]
	echo '{"extends": "baseline", "checks": {"hardening.limit": {"level": "error"}, "hardening.limits.pids": {"enabled": false}}}' >"$p"
	audit_json --policy "$p" "$CID"
	assert_status 0
	assert_check hardening.limits.memory fail info
	refute_check hardening.limits.pids
}

@test "policy: extends restricted carries its levels, the file's keys override them" {
	start_ctr 'c["root"]["readonly"] = False'
	local p=$BATS_TEST_TMPDIR/policy.json
	echo '{"name": "strict-but-rw", "extends": "restricted", "checks": {"hardening.root.writable": {"level": "info"}}}' >"$p"
	audit_json --policy "$p" "$CID"
	assert_status 1
	validate_report
	assert_check hardening.root.writable fail info
	assert_check hardening.capabilities.drop-all fail error
	assert_check hardening.run-as-non-root fail error
	assert_check hardening.run-as-host-root fail error
	assert_check hardening.host-namespace.uts pass error
	[ "$(report_get 'j["policy"]["name"]')" = strict-but-rw ]
}

# ---- --pid -----------------------------------------------------------------------------------

@test "--pid of a host process: every host namespace shared, no config, no conformance checks" {
	audit_json --pid $$
	assert_status 1
	validate_report
	[ "$(report_get "j['target'] == {'id': None, 'pid': $$, 'bundle': None, 'config': False}")" = true ] ||
		fail "target: $(report_get 'j["target"]')"
	local t n=0
	for t in pid net mnt ipc uts cgroup user time; do
		[ -e "/proc/self/ns/$t" ] || continue
		n=$((n + 1))
		assert_check "hardening.host-namespace.$t" fail
		assert_check_field "hardening.host-namespace.$t" observed "shared with the host ($t:[$(host_ns "$t")])"
		refute_check "namespaces.$t"
	done
	[ "$n" -ge 7 ]
	local conf
	conf=$(report_get '" ".join(c["id"] for c in j["checks"] if c["kind"] == "conformance")')
	[ -z "$conf" ] || fail "conformance checks without a config: $conf"
}

# ---- nothing left ----------------------------------------------------------------------------

@test "an audit leaves nothing: no tracer, no process, no mount, the container unchanged" {
	rm "$BUNDLE/config.json"
	"$CORRAL" spec --seccomp -b "$BUNDLE"
	update_config 'c["process"]["terminal"] = False'
	start_ctr
	exec_bg "$CID" sleep 100
	local before_ps mounts_before
	before_ps=$(corral ps --format json "$CID")
	mounts_before=$(<"/proc/$PID/mountinfo")
	local i
	for i in 1 2 3; do
		audit_json "$CID"
		[ "$status" -le 1 ]
	done
	grep -qx $'TracerPid:\t0' "/proc/$PID/status"
	grep -qx $'TracerPid:\t0' "/proc/$EPID/status"
	[ "$(corral ps --format json "$CID")" = "$before_ps" ]
	[ "$(<"/proc/$PID/mountinfo")" = "$mounts_before" ]
	[ "$(state_field "$CID" status)" = running ]
	# No child of the audit (the sysctl reader) survives: nothing but this shell's own.
	[ -z "$(pgrep -f "corral --root $STATE_ROOT audit" || true)" ]
	corral delete -f "$CID"
	assert_nothing_left "$CID"
}

@test "LSM label: checked where AppArmor or SELinux runs, otherwise a skip that says why" {
	start_ctr
	audit_json "$CID"
	local aa=N
	[ -r /sys/module/apparmor/parameters/enabled ] && aa=$(cut -c1 /sys/module/apparmor/parameters/enabled)
	if [ "$aa" != Y ] && [ ! -e /sys/fs/selinux/enforce ]; then
		assert_check credentials.lsm skip
		assert_check_field credentials.lsm explanation "no AppArmor or SELinux on this host"
	else
		assert_check credentials.lsm pass
	fi
}
