#!/usr/bin/env bats
# cgroups with real limits in force: on this hybrid host through v1, in the VM lane (tests/vm)
# through pure cgroup v2. Effects are observed from inside the container (an OOM kill, a failed
# fork, pinned cpus); the control files are read from the host, under the names of the backend
# in use.

load lib/common

setup() {
	common_setup
	if [ "$(stat -f -c %T "$CGROUP_ROOT")" = cgroup2fs ]; then CG=v2; else CG=v1; fi
}

# cg_dir CONTROLLER: the container's group that holds CONTROLLER's files (from state.json).
cg_dir() {
	json_get "next(d for k, d in j['cgroupPaths'].items() if '$CG' == 'v2' or '$1' in k.split(','))" \
		"$(cat "$STATE_ROOT/$CID/state.json")"
}
# cg_read CONTROLLER FILE
cg_read() { cat "$(cg_dir "$1")/$2"; }

resources() { update_config "lx.setdefault('resources', {}).update($1)"; }

# A whole block device of the host (or the VM's virtio disk) for io limits.
block_majmin() {
	if [ -n "${VM_BLOCK_MAJMIN:-}" ]; then echo "$VM_BLOCK_MAJMIN"; return; fi
	local d
	for d in /sys/block/*; do
		case ${d##*/} in loop* | ram* | zram*) continue ;; esac
		cat "$d/dev"
		return
	done
	return 1
}

@test "no resources: a group of its own in every hierarchy, all removed by delete" {
	corral_bg create "$CID"
	local pid dirs d
	pid=$(container_pid "$CID")
	dirs=$(json_get "'\n'.join(j['cgroupPaths'].values())" "$(cat "$STATE_ROOT/$CID/state.json")")
	[ -n "$dirs" ]
	for d in $dirs; do
		[[ "$d" == */corral/"$CID" ]] || fail "unexpected group $d"
		grep -qx "$pid" "$d/cgroup.procs" || fail "init $pid is not in $d"
	done
	[ "$CG" = v1 ] && [ "$(wc -w <<<"$dirs")" -ge 2 ]
	corral delete -f "$CID"
	for d in $dirs; do [ ! -e "$d" ] || fail "$d left behind"; done
}

@test "memory limit: a hog is OOM-killed and events reports the oom" {
	resources '{"memory": {"limit": 33554432, "swap": 33554432}}'
	update_config 'args("probe", "hog", "256")'
	corral_bg create "$CID"
	if [ "$CG" = v2 ]; then
		[ "$(cg_read memory memory.max)" = 33554432 ]
		[ "$(cg_read memory memory.swap.max 2>/dev/null || echo 0)" = 0 ]
	else
		[ "$(cg_read memory memory.limit_in_bytes)" = 33554432 ]
		[ "$(cg_read memory memory.memsw.limit_in_bytes)" = 33554432 ]
	fi
	local events=$BATS_TEST_TMPDIR/events
	"$CORRAL" --root "$STATE_ROOT" events --interval 100ms "$CID" >"$events" 2>&1 3>&- &
	local events_pid=$!
	track_pid "$events_pid"
	retry 50 0.1 grep -q '"type":"stats"' "$events"
	corral start "$CID"
	retry 100 0.1 grep -q '"type":"oom"' "$events" || fail "no oom event:" "$(cat "$events")"
	wait_for_status "$CID" stopped
	wait "$events_pid" # events ends by itself once the container stopped
	grep -qx "{\"id\":\"$CID\",\"type\":\"oom\"}" "$events"
	grep -q '^hog=' "$(ctr_stdout "$CID")"
	! grep -q '^hogged=' "$(ctr_stdout "$CID")"
	local kills
	if [ "$CG" = v2 ]; then
		kills=$(awk '$1 == "oom_kill" {print $2}' "$(cg_dir memory)/memory.events")
	else
		kills=$(awk '$1 == "oom_kill" {print $2}' "$(cg_dir memory)/memory.oom_control")
	fi
	[ "$kills" -ge 1 ]
}

@test "pids limit: fork fails beyond pids.max" {
	resources '{"pids": {"limit": 8}}'
	update_config "args('sh', '-c', 'for i in \$(seq 20); do sleep 30 & done; sleep 30')"
	corral_bg create "$CID"
	[ "$(cg_read pids pids.max)" = 8 ]
	corral start "$CID"
	retry 50 0.1 grep -q "can't fork" "$BATS_TEST_TMPDIR/$CID.stderr" ||
		fail "no fork failure reported:" "$(cat "$BATS_TEST_TMPDIR/$CID.stderr")"
	[ "$(cg_read pids pids.current)" -le 8 ]
}

@test "cpu quota: a busy loop is throttled and stats show it" {
	resources '{"cpu": {"quota": 10000, "period": 100000, "shares": 512}}'
	update_config "args('sh', '-c', 'while :; do :; done')"
	corral_bg create "$CID"
	if [ "$CG" = v2 ]; then
		[ "$(cg_read cpu cpu.max)" = "10000 100000" ]
		# cpu.shares 512 → cpu.weight, by the conversion corral documents (1024 → 100).
		local w; w=$(cg_read cpu cpu.weight)
		[ "$w" -gt 1 ] && [ "$w" -lt 100 ]
	else
		[ "$(cg_read cpu cpu.cfs_quota_us)" = 10000 ]
		[ "$(cg_read cpu cpu.cfs_period_us)" = 100000 ]
		[ "$(cg_read cpu cpu.shares)" = 512 ]
	fi
	corral start "$CID"
	sleep 1
	local throttled
	throttled=$(awk '$1 == "nr_throttled" {print $2}' "$(cg_dir cpu)/cpu.stat")
	[ "$throttled" -gt 0 ] || fail "nr_throttled is $throttled"
	run corral events --stats "$CID"
	assert_status 0
	[ "$(json_get 'j["data"]["cpu"]["throttling"]["throttledPeriods"] > 0' "$output")" = true ]
	corral delete -f "$CID"
}

@test "cpuset: the container runs on the cpus it was given" {
	[ "$(nproc)" -ge 2 ] || skip "host has one cpu: nothing to pin against"
	resources '{"cpu": {"cpus": "1", "mems": "0"}}'
	update_config "args('grep', 'Cpus_allowed_list', '/proc/self/status')"
	run corral run "$CID"
	assert_status 0
	[[ "$output" =~ Cpus_allowed_list:[[:space:]]+1$ ]] || fail "not pinned" "$output"
}

@test "io: throttle limits are written for a real block device" {
	local mm; mm=$(block_majmin) || skip "no block device on this host"
	local major=${mm%:*} minor=${mm#*:}
	resources "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 100}]}}"
	corral_bg create "$CID"
	if [ "$CG" = v2 ]; then
		grep -qx "$mm rbps=1048576 wbps=max riops=max wiops=100" "$(cg_dir io)/io.max" ||
			fail "io.max:" "$(cg_read io io.max)"
	else
		[ "$(cg_read blkio blkio.throttle.read_bps_device)" = "$mm 1048576" ]
		[ "$(cg_read blkio blkio.throttle.write_iops_device)" = "$mm 100" ]
	fi
	corral delete -f "$CID"
}

@test "io: weight goes to the weight file the host has, or is a clear error" {
	resources '{"blockIO": {"weight": 500}}'
	local files
	if [ "$CG" = v2 ]; then files="io.bfq.weight io.weight"; else files="blkio.bfq.weight blkio.weight"; fi
	# Whether the host offers a weight file depends on its io schedulers: find out on a group
	# corral made without the weight.
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/with-weight.json"
	update_config 'del lx["resources"]["blockIO"]'
	corral_bg create "$CID"
	local dir f have=""
	dir=$(cg_dir "$([ "$CG" = v2 ] && echo io || echo blkio)")
	for f in $files; do [ -e "$dir/$f" ] && { have=$f; break; }; done
	corral delete -f "$CID"
	cp "$BATS_TEST_TMPDIR/with-weight.json" "$BUNDLE/config.json"
	if [ -z "$have" ]; then
		run --separate-stderr corral run "$CID"
		assert_error "weight"
		return
	fi
	corral_bg create "$CID"
	case $have in
	io.weight) [ "$(cg_read io io.weight)" = "default $((1 + (500 - 10) * 9999 / 990))" ] ;;
	io.bfq.weight) [ "$(cg_read io io.bfq.weight)" = "default 500" ] ;;
	*) [ "$(cg_read blkio "$have")" = 500 ] ;;
	esac
	corral delete -f "$CID"
}

@test "devices: a denied device cannot be opened even after mknod; an allowed one can" {
	update_config "args('sh', '-c', 'probe mknod-open /tmp/mem 1 1; probe mknod-open /tmp/tun 10 200; probe write /dev/null x')
c['root']['readonly'] = False
for k in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][k].append('CAP_MKNOD')
lx['resources']['devices'].append({'allow': True, 'type': 'c', 'major': 10, 'minor': 200, 'access': 'rwm'})"
	run corral run "$CID"
	assert_line "probe: open /tmp/mem: Operation not permitted (EPERM)"
	refute_line_matching "open /tmp/tun: Operation not permitted"
	assert_line wrote=1
}

@test "pause stops progress and resume continues it" {
	# The count is replaced by rename: a plain `echo >` truncates first, and a read racing it
	# saw an empty file (a flake of the test, not of pause).
	update_config "args('sh', '-c', 'i=0; while :; do i=\$((i+1)); echo \$i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done'); c['root']['readonly'] = False"
	corral_bg create "$CID"
	corral start "$CID"
	local count=$BUNDLE/rootfs/tmp/count a b
	retry 50 0.1 test -s "$count"
	corral pause "$CID"
	[ "$(state_field "$CID" status)" = paused ]
	a=$(cat "$count")
	sleep 0.5
	b=$(cat "$count")
	[ "$a" = "$b" ] || fail "progress while paused: $a → $b"
	run --separate-stderr corral pause "$CID"
	assert_error "cannot pause container $CID" "it is paused"
	corral resume "$CID"
	[ "$(state_field "$CID" status)" = running ]
	sleep 0.5
	b=$(cat "$count")
	[ "$b" -gt "$a" ] || fail "no progress after resume: $a → $b"
	run --separate-stderr corral resume "$CID"
	assert_error "cannot resume container $CID" "it is running"
}

@test "a paused container is deleted with -f, its frozen processes killed" {
	update_config "args('sh', '-c', 'sleep 1000 & sleep 1000')"
	corral_bg create "$CID"
	corral start "$CID"
	corral pause "$CID"
	corral delete -f "$CID"
	[ -z "$(live_procs_of "$CID")" ]
}

@test "update changes the limits of a running container" {
	resources '{"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
	update_config "args('sleep', '1000')"
	corral_bg create "$CID"
	corral start "$CID"
	corral update --memory 96m --pids-limit 42 --cpu-quota 20000 --cpu-period 100000 "$CID"
	if [ "$CG" = v2 ]; then
		[ "$(cg_read memory memory.max)" = $((96 << 20)) ]
		[ "$(cg_read cpu cpu.max)" = "20000 100000" ]
	else
		[ "$(cg_read memory memory.limit_in_bytes)" = $((96 << 20)) ]
		[ "$(cg_read cpu cpu.cfs_quota_us)" = 20000 ]
	fi
	[ "$(cg_read pids pids.max)" = 42 ]
	echo '{"pids": {"limit": 7}}' | corral update -r - "$CID"
	[ "$(cg_read pids pids.max)" = 7 ]
	run --separate-stderr corral update --memory lots "$CID"
	assert_error 'update: --memory "lots": expected bytes'
	run --separate-stderr corral update -r - "$CID" <<<'{"pids": {"limit": "x"}}'
	assert_error "resources: pids.limit"
	[ "$(cg_read pids pids.max)" = 7 ]
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	run --separate-stderr corral update --pids-limit 5 "$CID"
	assert_error "cannot update container $CID" "it is stopped"
}

# others_of ID: the container's processes but its init.
others_of() { live_procs_of "$1" | grep -vx "$(container_pid "$1")" || true; }

@test "kill --all reaches a setsid'd grandchild, with SIGKILL and with SIGTERM" {
	local sig
	for sig in KILL TERM; do
		CID=$(new_id "$sig")
		update_config "args('sh', '-c', 'setsid sh -c \"sleep 1000\" & sleep 1000')"
		corral_bg create "$CID"
		corral start "$CID"
		retry 50 0.1 test -n "$(others_of "$CID")"
		corral kill --all "$CID" "$sig"
		# PID 1 of a pid namespace ignores signals it has no handler for, so SIGTERM leaves the
		# init; every other process, the setsid'd one included, must be gone.
		retry 100 0.05 test -z "$(others_of "$CID")" || fail "SIG$sig left: $(others_of "$CID")"
		[ "$sig" = TERM ] || retry 100 0.05 test -z "$(live_procs_of "$CID")"
		corral delete -f "$CID"
	done
}

@test "ps lists the container's processes, as a table and as json" {
	update_config "args('sh', '-c', 'sleep 1000 & exec sleep 1001')"
	corral_bg create "$CID"
	corral start "$CID"
	retry 50 0.1 test "$(live_procs_of "$CID" | wc -l)" -ge 2
	run corral ps --format json "$CID"
	assert_status 0
	local pids; pids=$(json_get '" ".join(map(str, sorted(j)))' "$output")
	[ "$pids" = "$(live_procs_of "$CID" | sort -n | xargs)" ]
	run corral ps "$CID"
	assert_status 0
	[[ "${lines[0]}" == *PID* ]]
	assert_output_contains "sleep 1001"
	assert_output_contains "sleep 1000"
	[ "${#lines[@]}" -eq 3 ]
}

@test "events --stats: one line in runc's shape" {
	resources '{"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	update_config "args('sleep', '1000')"
	corral_bg create "$CID"
	corral start "$CID"
	run corral events --stats "$CID"
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	[ "$(json_get 'j["type"]' "$output")" = stats ]
	[ "$(json_get 'j["id"]' "$output")" = "$CID" ]
	[ "$(json_get 'j["data"]["pids"]["current"]' "$output")" = 1 ]
	[ "$(json_get 'j["data"]["pids"]["limit"]' "$output")" = 50 ]
	[ "$(json_get 'j["data"]["memory"]["usage"]["limit"]' "$output")" = 67108864 ]
	[ "$(json_get 'j["data"]["memory"]["usage"]["usage"] > 0' "$output")" = true ]
	[ "$(json_get 'j["data"]["cpu"]["usage"]["total"] > 0' "$output")" = true ]
	run --separate-stderr corral events --interval soon "$CID"
	assert_error 'events: --interval "soon"'
}

@test "cgroup namespace: every hierarchy shows / inside, and /sys/fs/cgroup shows the container's groups" {
	# v2: the cgroup2 mount is the container's group. v1/hybrid: as with runc, a read-only
	# tmpfs holding the container's group of every hierarchy (cgroup_view.hpp).
	local files=/sys/fs/cgroup/cgroup.procs
	[ "$CG" = v2 ] || files="/sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs"
	update_config "args('sh', '-c', 'cat /proc/self/cgroup; for f in $files; do echo procs; cat \$f; done; ls /sys/fs/cgroup')"
	run corral run "$CID"
	assert_status 0
	local l n=0 procs=0 next=''
	for l in "${lines[@]}"; do
		[ "$l" = procs ] && break
		n=$((n + 1))
		[[ "$l" == *:/ ]] || fail "not the namespace root: $l" "$output"
	done
	[ "$n" -ge 1 ]
	# Each group holds exactly the container's sh (pid 1) and its cat.
	for l in "${lines[@]}"; do
		if [ "$l" = procs ]; then next=1 procs=$((procs + 1)); elif [ -n "$next" ]; then
			[ "$l" = 1 ] || fail "first pid of a group is not the container's init: $l" "$output"
			next=''
		fi
	done
	[ "$procs" -eq "$(wc -w <<<"$files")" ] || fail "expected one group per file" "$output"
	if [ "$CG" = v1 ]; then
		for l in memory pids devices freezer; do [ ! -d "$CGROUP_ROOT/$l" ] || assert_line "$l"; done
		[ ! -d "$CGROUP_ROOT/unified" ] || assert_line unified
	fi
}

@test "a limit the host cannot enforce is a clear error and leaves nothing behind" {
	resources '{"hugepageLimits": [{"pageSize": "3MB", "limit": 1048576}]}'
	run --separate-stderr corral run "$CID"
	if [ "$CG" = v2 ] || [ -d "$CGROUP_ROOT/hugetlb" ]; then
		assert_error "linux.resources.hugepageLimits" "3MB"
	else
		assert_error 'linux.resources.hugepageLimits: cgroup v1 controller "hugetlb" is not mounted'
	fi
	if [ "$CG" = v2 ]; then
		resources '{"hugepageLimits": [], "network": {"classID": 7}}'
		run --separate-stderr corral run "$CID"
		assert_error "linux.resources.network"
	else
		[ -d "$CGROUP_ROOT/net_cls" ] && skip "this host mounts net_cls"
		resources '{"hugepageLimits": [], "network": {"classID": 7}}'
		run --separate-stderr corral run "$CID"
		assert_error 'linux.resources.network: cgroup v1 controller "net_cls" is not mounted'
	fi
}

@test "--cgroup-manager=disabled: no group anywhere, and limits are refused" {
	update_config "args('cat', '/proc/self/cgroup')"
	run --separate-stderr "$CORRAL" --root "$STATE_ROOT" --cgroup-manager disabled run "$CID" 3>&-
	assert_status 0
	[ -z "$(_cgroup_dirs_of "$CID")" ]
	resources '{"pids": {"limit": 5}}'
	run --separate-stderr "$CORRAL" --root "$STATE_ROOT" --cgroup-manager disabled run "$CID" 3>&-
	assert_error "linux.resources.pids" "cgroup manager is disabled"
}

# Everything of a group that a runtime could change: its subgroups and its settings.
_foreign_snapshot() {
	local h
	for h in "$CGROUP_ROOT"/*/; do
		find "$h" -mindepth 1 -maxdepth 3 -type d -not -path '*/corral*' | sort
		find "$h" -maxdepth 3 -not -path '*/corral*' -type f \( -name '*limit_in_bytes' \
			-o -name 'cpu.shares' -o -name 'cpu.cfs_*' -o -name 'cpuset.cpus' -o -name 'cpuset.mems' \
			-o -name 'pids.max' -o -name 'devices.list' -o -name 'freezer.state' \
			-o -name 'cgroup.subtree_control' -o -name 'memory.swappiness' \) -print0 |
			sort -z | xargs -0 -r grep -H '' 2>/dev/null
	done
}

@test "foreign groups (the host agent's process_api among them) are left byte-for-byte unchanged" {
	[ "$CG" = v1 ] || skip "pure v2 enables controllers in ancestors by design; v1 hosts only"
	local before after
	before=$(_foreign_snapshot)
	resources '{"memory": {"limit": 67108864}, "pids": {"limit": 20}, "cpu": {"shares": 256, "cpus": "0"}}'
	update_config "args('sleep', '1000')"
	corral_bg create "$CID"
	corral start "$CID"
	corral update --memory 80m --pids-limit 30 "$CID"
	corral pause "$CID"
	corral resume "$CID"
	corral kill --all "$CID" KILL
	corral delete -f "$CID"
	after=$(_foreign_snapshot)
	[ "$before" = "$after" ] || fail "foreign groups changed:" "$(diff <(echo "$before") <(echo "$after"))"
}
