#!/usr/bin/env bats
# Hooks: the six kinds run in lifecycle order, get the state on stdin, get exactly their args
# and env, are killed at their timeout, and a failing one fails its operation cleanly.

load lib/common

setup() {
	common_setup
	LOGDIR=$BATS_TEST_TMPDIR/hooklog
	LOG=$LOGDIR/log
	mkdir -p "$LOGDIR"
	: >"$LOG"
	# A host hook: appends "<name> <state JSON>" to $LOG; with FAIL=<code> it then exits so.
	HOOK=$BATS_TEST_TMPDIR/hook.sh
	cat >"$HOOK" <<'EOF'
#!/bin/sh
state=$(cat)
printf '%s %s\n' "$1" "$state" >>"$LOG"
exit "${FAIL:-0}"
EOF
	chmod +x "$HOOK"
}

# host_hook KIND [ENV...]: the config statement adding $HOOK for KIND, logging as KIND.
host_hook() {
	local kind=$1 env="'LOG=$LOG'"
	shift
	for e in "$@"; do env+=", '$e'"; done
	echo "hook('$kind', '$HOOK', '$kind', env=[$env])"
}

# assert_hooks NAME...: the log's lines start with exactly these hook names, in this order.
assert_hooks() {
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "$* " ] || fail "hooks ran: expected '$*', log:" "$(cat "$LOG")"
}

all_hooks_config() {
	local code="args('probe', 'exit', '0')"
	for kind in prestart createRuntime createContainer poststart poststop; do
		code+=$'\n'$(host_hook "$kind")
	done
	# startContainer runs in the container: a busybox shell writing through a bind mount of
	# the log directory.
	code+=$'\n'"mount('/hooklog', 'bind', '$LOGDIR', 'bind', 'rw')"
	code+=$'\n'"hook('startContainer', '/bin/sh', '-c', 'echo startContainer \$(cat) >> /hooklog/log')"
	update_config "$code"
}

@test "all six hooks run, in lifecycle order, through create, start and delete" {
	all_hooks_config
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	assert_hooks prestart createRuntime createContainer
	run --separate-stderr corral start "$CID"
	assert_status 0
	wait_for_status "$CID" stopped
	assert_hooks prestart createRuntime createContainer startContainer poststart
	run --separate-stderr corral delete "$CID"
	assert_status 0
	assert_hooks prestart createRuntime createContainer startContainer poststart poststop
}

@test "run: the same six hooks in the same order, poststop when run deletes" {
	all_hooks_config
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_hooks prestart createRuntime createContainer startContainer poststart poststop
}

@test "hooks get the state on stdin: id, pid, bundle" {
	update_config "args('probe', 'trap')
$(host_hook createRuntime)
$(host_hook poststart)"
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	corral start "$CID"
	local kind json
	for kind in createRuntime poststart; do
		json=$(grep "^$kind " "$LOG" | cut -d' ' -f2-)
		[ "$(json_get 'j["id"]' "$json")" = "$CID" ]
		[ "$(json_get 'j["pid"]' "$json")" = "$pid" ]
		[ "$(json_get 'j["bundle"]' "$json")" = "$BUNDLE" ]
		[[ "$(json_get 'j["ociVersion"]' "$json")" == 1.* ]]
	done
	[ "$(json_get 'j["status"]' "$(grep '^poststart ' "$LOG" | cut -d' ' -f2-)")" = running ]
}

@test "a hook gets exactly its args and env" {
	cat >"$HOOK" <<'EOF'
#!/bin/sh
cat >/dev/null
# The environment this hook was executed with (a shell adds PWD to its own).
{ printf 'arg=%s\n' "$0" "$@"; tr '\0' '\n' </proc/$$/environ | sed 's/^/env=/'; } >"$LOGFILE"
EOF
	update_config "args('probe', 'exit', '0')
c['hooks'] = {'createRuntime': [{'path': '$HOOK', 'args': ['custom-argv0', 'one', 'two words'],
                                 'env': ['LOGFILE=$LOG', 'ONLY=this']}]}"
	run --separate-stderr corral run "$CID"
	assert_status 0
	[ "$(cat "$LOG")" = "arg=$HOOK
arg=one
arg=two words
env=LOGFILE=$LOG
env=ONLY=this" ] || fail "hook saw:" "$(cat "$LOG")"
}

@test "a hook past its timeout is killed and create fails, leaving nothing" {
	cat >"$HOOK" <<'EOF'
#!/bin/sh
echo $$ >"$PIDFILE"
exec sleep 60
EOF
	update_config "args('probe', 'exit', '0')
hook('createRuntime', '$HOOK', env=['PIDFILE=$BATS_TEST_TMPDIR/hook.pid'], timeout=1)"
	start=$SECONDS
	run --separate-stderr corral_bg create "$CID"
	assert_error "$HOOK"
	[ $((SECONDS - start)) -lt 15 ] || fail "create took $((SECONDS - start)) s with a 1 s hook timeout"
	hook_pid=$(cat "$BATS_TEST_TMPDIR/hook.pid")
	track_pid "$hook_pid"
	wait_pid_gone "$hook_pid" || fail "the timed-out hook $hook_pid still runs"
	assert_nothing_left "$CID"
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	update_config "args('probe', 'exit', '0')
$(host_hook createRuntime FAIL=3)"
	run --separate-stderr corral_bg create "$CID"
	assert_error "$HOOK"
	assert_hooks createRuntime
	assert_nothing_left "$CID"
}

@test "a failing prestart hook fails create and leaves nothing" {
	update_config "args('probe', 'exit', '0')
$(host_hook prestart FAIL=1)
$(host_hook createRuntime)"
	run --separate-stderr corral_bg create "$CID"
	assert_error "$HOOK"
	# Later hooks do not run.
	assert_hooks prestart
	assert_nothing_left "$CID"
}

@test "a failing createContainer hook fails create and leaves nothing" {
	update_config "args('probe', 'exit', '0')
$(host_hook createContainer FAIL=2)"
	run --separate-stderr corral_bg create "$CID"
	assert_error "$HOOK"
	assert_nothing_left "$CID"
}

@test "a failing createRuntime hook fails run too, leaving nothing" {
	update_config "args('probe', 'write', '/tmp/ran', 'x'); c['root']['readonly'] = False
$(host_hook createRuntime FAIL=1)"
	run --separate-stderr corral run "$CID"
	assert_error "$HOOK"
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_nothing_left "$CID"
}

@test "a missing hook binary fails create and leaves nothing" {
	update_config "args('probe', 'exit', '0')
hook('createRuntime', '$BATS_TEST_TMPDIR/no-such-hook')"
	run --separate-stderr corral_bg create "$CID"
	assert_error "$BATS_TEST_TMPDIR/no-such-hook" "no such file"
	assert_nothing_left "$CID"
}

@test "a failing poststop hook does not fail delete, and nothing is left" {
	update_config "args('probe', 'exit', '0')
$(host_hook poststop FAIL=1)"
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	corral start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr corral delete "$CID"
	assert_status 0
	assert_hooks poststop
	assert_nothing_left "$CID"
}

@test "createContainer runs in the container's namespaces, createRuntime in the runtime's" {
	cat >"$HOOK" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "$1 $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/net)" >>"$LOG"
EOF
	update_config "args('probe', 'exit', '0')
$(host_hook createRuntime)
$(host_hook createContainer)"
	run --separate-stderr corral run "$CID"
	assert_status 0
	host="$(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/net)"
	[ "$(grep '^createRuntime ' "$LOG" | cut -d' ' -f2-)" = "$host" ]
	inner=$(grep '^createContainer ' "$LOG" | cut -d' ' -f2-)
	[ -n "$inner" ] && [ "${inner%% *}" != "${host%% *}" ] && [ "${inner#* }" != "${host#* }" ] ||
		fail "createContainer ran in '$inner', host is '$host'"
}
