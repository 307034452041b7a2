#!/usr/bin/env bats
# Rootless containers, run by a real unprivileged user made for this suite (useradd, with
# /etc/subuid and /etc/subgid ranges): its state under $XDG_RUNTIME_DIR/corral, the caller mapped
# to root (directly for a single self-mapping, through newuidmap/newgidmap for ranges), no cgroup
# without delegation unless limits are asked for, and no reach into another user's state.

load lib/common

RL_USER=corral-rootless

setup_file() {
	common_setup_file
	[ "$(id -u)" -eq 0 ] || return 0
	command -v newuidmap >/dev/null || fail "newuidmap missing: install the uidmap package"
	id "$RL_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$RL_USER"
	local uid; uid=$(id -u "$RL_USER")
	# Subordinate ranges: useradd adds them on most hosts; make sure there is one.
	grep -q "^$RL_USER:" /etc/subuid 2>/dev/null || usermod --add-subuids 400000-465535 "$RL_USER"
	grep -q "^$RL_USER:" /etc/subgid 2>/dev/null || usermod --add-subgids 400000-465535 "$RL_USER"
	# A place the user can reach: bats' own temp dirs are root's and 0700.
	RL_DIR=$(mktemp -d /tmp/corral-rootless.XXXXXX)
	chmod 755 "$RL_DIR"
	install -m 755 "$CORRAL" "$RL_DIR/corral"
	install -m 755 "$CORRAL_PROBE" "$RL_DIR/corral-probe"
	export RL_DIR
}

teardown_file() {
	[ -n "${RL_DIR:-}" ] && rm -rf "$RL_DIR"
	userdel --remove "$RL_USER" 2>/dev/null || true
}

setup() {
	common_setup
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	RL_RUN=$RL_DIR/run-$BATS_TEST_NUMBER
	install -d -m 700 -o "$RL_USER" -g "$RL_GID" "$RL_RUN"
	# The leak check looks at the user's default state root.
	STATE_ROOT=$RL_RUN/corral
	RL_BUNDLE=$RL_DIR/bundle-$BATS_TEST_NUMBER
	install -d -m 755 -o "$RL_USER" "$RL_BUNDLE"
	cp -a "$BUNDLE/rootfs" "$RL_BUNDLE/rootfs"
	cp "$RL_DIR/corral-probe" "$RL_BUNDLE/rootfs/bin/probe"
	chown -R "$RL_USER:$RL_GID" "$RL_BUNDLE"
	rl spec -b "$RL_BUNDLE" --rootless
	update_config -b "$RL_BUNDLE" 'c["process"]["terminal"] = False'
}

teardown() {
	common_teardown
	rm -rf "$RL_BUNDLE" "$RL_RUN"
}

# rl ARGS...: corral as the rootless user, with its runtime dir and no --root.
rl() {
	_track_invocation "$@"
	runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$RL_RUN" \
		timeout -k 5 "$RUNTIME_TIMEOUT" "$RL_DIR/corral" "$@" 3>&-
}

@test "rootless: the caller is root inside, mapped directly, with setgroups denied" {
	update_config -b "$RL_BUNDLE" "args('sh', '-c', 'probe ids; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups')"
	run --separate-stderr rl run -b "$RL_BUNDLE" "$CID"
	assert_status 0
	assert_kv uid 0
	assert_kv gid 0
	[ "$(grep -cE "^ *0 +$RL_UID +1$" <<<"$output")" -ge 1 ]
	[ "$(grep -cE "^ *0 +$RL_GID +1$" <<<"$output")" -ge 1 ]
	assert_line deny
	[ -d "$RL_RUN/corral" ] && [ "$(stat -c %U "$RL_RUN/corral")" = "$RL_USER" ]
}

@test "rootless: create, state, start, delete, with state under XDG_RUNTIME_DIR" {
	update_config -b "$RL_BUNDLE" "args('sleep', '1000')"
	rl create -b "$RL_BUNDLE" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
		fail "create failed: $(cat "$BATS_TEST_TMPDIR/err")"
	[ -f "$RL_RUN/corral/$CID/state.json" ]
	run rl state "$CID"
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = created ]
	local pid; pid=$(json_get 'j["pid"]' "$output")
	track_pid "$pid"
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$RL_UID" ]
	rl start "$CID"
	run rl state "$CID"
	[ "$(json_get 'j["status"]' "$output")" = running ]
	rl delete -f "$CID"
	[ ! -e "$RL_RUN/corral/$CID" ]
}

@test "rootless: exec joins the container's user namespace and the rest, as the user" {
	update_config -b "$RL_BUNDLE" "args('sleep', '1000')"
	rl run -d -b "$RL_BUNDLE" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
		fail "run -d failed: $(cat "$BATS_TEST_TMPDIR/err")"
	local pid; pid=$(json_get 'j["pid"]' "$(rl state "$CID")")
	track_pid "$pid"
	run --separate-stderr rl exec "$CID" sh -c 'probe ids; probe ns; cat /proc/self/uid_map'
	assert_status 0
	assert_kv uid 0
	assert_kv gid 0
	local ns
	for ns in user mnt pid net ipc uts cgroup; do
		assert_kv "$ns" "$(stat -L -c %i "/proc/$pid/ns/$ns")"
	done
	[ "$(grep -cE "^ *0 +$RL_UID +1$" <<<"$output")" -eq 1 ]
	# The exec'd process is the user's on the host, never root's.
	rl exec -d --pid-file "$RL_RUN/exec.pid" "$CID" sleep 1000
	local epid; epid=$(cat "$RL_RUN/exec.pid")
	track_pid "$epid"
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$epid/status")" = "$RL_UID" ]
	run rl exec "$CID" probe exit 9
	assert_status 9
	rl delete -f "$CID"
	wait_pid_gone "$epid"
}

@test "rootless: ranges from /etc/subuid go through newuidmap and newgidmap" {
	local sub_uid sub_gid
	sub_uid=$(awk -F: -v u="$RL_USER" '$1 == u {print $2; exit}' /etc/subuid)
	sub_gid=$(awk -F: -v u="$RL_USER" '$1 == u {print $2; exit}' /etc/subgid)
	update_config -b "$RL_BUNDLE" "args('sh', '-c', 'cat /proc/self/uid_map; touch /tmp/f && chown 1000:1000 /tmp/f && echo chowned')
lx['uidMappings'] = [{'containerID': 0, 'hostID': $RL_UID, 'size': 1}, {'containerID': 1, 'hostID': $sub_uid, 'size': 65536}]
lx['gidMappings'] = [{'containerID': 0, 'hostID': $RL_GID, 'size': 1}, {'containerID': 1, 'hostID': $sub_gid, 'size': 65536}]
c['root']['readonly'] = False
for k in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][k].append('CAP_CHOWN')"
	run --separate-stderr rl run -b "$RL_BUNDLE" "$CID"
	assert_status 0
	assert_line chowned
	[ "$(grep -cE "^ *1 +$sub_uid +65536$" <<<"$output")" -eq 1 ]
	# Container uid 1000 is the 1000th subordinate id after container uid 1.
	[ "$(stat -c %u:%g "$RL_BUNDLE/rootfs/tmp/f")" = "$((sub_uid + 999)):$((sub_gid + 999))" ]
}

@test "rootless: without a delegated cgroup it runs without one, and limits are a clear error" {
	update_config -b "$RL_BUNDLE" "args('true')"
	run --separate-stderr rl --log "$RL_RUN/log" run -b "$RL_BUNDLE" "$CID"
	assert_status 0
	grep -q "running without a cgroup" "$RL_RUN/log"
	[ -z "$(_cgroup_dirs_of "$CID")" ]
	update_config -b "$RL_BUNDLE" "lx['resources'] = {'pids': {'limit': 10}}"
	run --separate-stderr rl run -b "$RL_BUNDLE" "$CID"
	assert_error "rootless containers need a delegated cgroup" "linux.resources.pids"
}

@test "rootless: another user's state is out of reach" {
	# A container of root's, in a state root of root's.
	local root_state=$BATS_TEST_TMPDIR/root-state
	mkdir -m 700 "$root_state"
	update_config "args('sleep', '1000')"
	"$CORRAL" --root "$root_state" create "$CID" </dev/null >/dev/null 2>&1 3>&-
	track_pid "$(json_get 'j["pid"]' "$("$CORRAL" --root "$root_state" state "$CID" 3>&-)")"
	local verb
	for verb in list "state $CID" "kill $CID KILL" "delete -f $CID"; do
		# shellcheck disable=SC2086
		run --separate-stderr rl --root "$root_state" $verb
		assert_error "$root_state" "permission denied"
	done
	[ "$(json_get 'j["status"]' "$("$CORRAL" --root "$root_state" state "$CID" 3>&-)")" = created ]
	"$CORRAL" --root "$root_state" delete -f "$CID" 3>&-
	# A state root the user does not own is refused, even where it may write.
	install -d -m 1777 "$RL_DIR/shared-$BATS_TEST_NUMBER"
	run --separate-stderr rl --root "$RL_DIR/shared-$BATS_TEST_NUMBER" run -b "$RL_BUNDLE" "$CID"
	assert_error "state root $RL_DIR/shared-$BATS_TEST_NUMBER: owned by uid 0, not by the caller"
	rmdir "$RL_DIR/shared-$BATS_TEST_NUMBER"
}

@test "rootless: a delegated v1 subtree is used, limits and all" {
	[ "$(stat -f -c %T "$CGROUP_ROOT")" != cgroup2fs ] ||
		skip "pure cgroup v2: delegation needs the caller's own processes inside the subtree (systemd)"
	local deleg=corral-rl-deleg-$$ h dirs=()
	# What an administrator delegating to the user does: a group per hierarchy, owned by the
	# user, cpuset filled in.
	for h in "$CGROUP_ROOT"/*/; do
		[ "$(stat -f -c %T "$h")" = cgroup2fs ] && continue
		mkdir "$h$deleg"
		dirs+=("$h$deleg")
		chown -R "$RL_USER" "$h$deleg"
		if [ -e "$h$deleg/cpuset.cpus" ]; then
			cat "${h}cpuset.cpus" >"$h$deleg/cpuset.cpus"
			cat "${h}cpuset.mems" >"$h$deleg/cpuset.mems"
		fi
	done
	update_config -b "$RL_BUNDLE" "args('sleep', '1000'); lx['cgroupsPath'] = '/$deleg/$CID'
lx['resources'] = {'pids': {'limit': 10}, 'memory': {'limit': 67108864}}"
	local ok=0
	rl create -b "$RL_BUNDLE" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" || ok=$?
	if [ "$ok" -eq 0 ]; then
		local pid; pid=$(json_get 'j["pid"]' "$(rl state "$CID")")
		track_pid "$pid"
		[ "$(cat "$CGROUP_ROOT/pids/$deleg/$CID/pids.max")" = 10 ]
		[ "$(cat "$CGROUP_ROOT/memory/$deleg/$CID/memory.limit_in_bytes")" = 67108864 ]
		grep -qx "$pid" "$CGROUP_ROOT/pids/$deleg/$CID/cgroup.procs"
		rl delete -f "$CID"
		[ ! -e "$CGROUP_ROOT/pids/$deleg/$CID" ]
	fi
	for h in "${dirs[@]}"; do rmdir "$h"; done
	[ "$ok" -eq 0 ] || fail "rootless create in a delegated subtree failed" "$(cat "$BATS_TEST_TMPDIR/err")"
}
