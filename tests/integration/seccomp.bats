#!/usr/bin/env bats
# linux.seccomp: the filter compiled from the config is the one in force when the process
# starts, and the default profile (`corral spec --seccomp`) blocks what it should while a
# busybox shell works normally.

load lib/common

# seccomp_config PYTHON: sets linux.seccomp to the given python expression.
seccomp_config() { update_config "c['linux']['seccomp'] = $1"; }

@test "a rule's ERRNO action reaches the process, everything else is allowed" {
	update_config "args('sh', '-c', 'probe caps | grep Seccomp=; mkdir /tmp/x; echo mkdir=\$?; probe pid')"
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line Seccomp=2
	assert_line mkdir=1
	[[ "$stderr" == *"Permission denied"* ]] || fail "errno 13 not seen: $stderr"
	assert_kv pid 1
}

@test "argument filters: only the matching call is refused" {
	# personality(0xffffffff) only queries; any other value is refused here.
	update_config "args('sh', '-c', 'probe personality; echo rc=\$?')"
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]}]}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line rc=0
}

@test "KILL_PROCESS kills the process and run reports the signal" {
	update_config "args('probe', 'write', '/tmp/f', 'x')"
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["open", "openat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	run --separate-stderr corral run "$CID"
	# SIGSYS is 31.
	assert_status $((128 + 31))
}

@test "an unknown action or architecture is refused by JSON path and leaves nothing" {
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	run --separate-stderr corral run "$CID"
	assert_error 'linux.seccomp.syscalls[0].action' SCMP_ACT_BOGUS
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}'
	run --separate-stderr corral run "$CID"
	assert_error 'linux.seccomp.architectures[0]'
	assert_nothing_left
}

@test "default profile: a busybox shell works, unshare of a namespace is refused" {
	rm "$BUNDLE/config.json"
	"$CORRAL" spec --seccomp -b "$BUNDLE"
	update_config "c['process']['terminal'] = False; c['root']['readonly'] = False; args('sh', '-c', 'echo hi > /tmp/f && cat /tmp/f && ls / >/dev/null && echo shell=ok; unshare -m true; echo unshare=\$?; probe caps | grep Seccomp=')"
	[ -e "$BUNDLE/rootfs/bin/unshare" ] || ln -s busybox "$BUNDLE/rootfs/bin/unshare"
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line hi
	assert_line shell=ok
	assert_line unshare=1
	assert_line Seccomp=2
}

@test "noNewPrivileges false: the filter still loads (before the capabilities drop)" {
	update_config "c['process']['noNewPrivileges'] = False; args('sh', '-c', 'probe caps | grep -E \"Seccomp=|NoNewPrivs\"; mkdir /tmp/y; echo mkdir=\$?')"
	seccomp_config '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line NoNewPrivs=0
	assert_line Seccomp=2
	assert_line mkdir=1
}

@test "SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the state, and its answer reaches the process" {
	local agent=$CORRAL_BUILD/tests/corral-seccomp-agent sock=$BATS_TEST_TMPDIR/agent.sock
	local state=$BATS_TEST_TMPDIR/agent-state.json log=$BATS_TEST_TMPDIR/agent.log
	# The agent answers every notified call with EXDEV (18), which nothing else would give.
	"$agent" "$sock" "$state" 18 >"$log" 2>&1 3>&- &
	local apid=$!
	track_pid "$apid"
	retry 50 0.1 grep -q listening "$log"
	update_config "args('sh', '-c', 'mkdir /tmp/n; echo mkdir=\$?; probe pid')"
	seccomp_config "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"meta-$CID\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line mkdir=1
	assert_kv pid 1
	[[ "$stderr" == *"Invalid cross-device link"* ]] || fail "EXDEV from the agent not seen: $stderr"
	grep -q '^notified nr=' "$log" || fail "the agent saw no notification: $(cat "$log")"
	[ "$(json_get 'j["fds"]' "$(cat "$state")")" = '["seccompFd"]' ]
	[ "$(json_get 'j["metadata"]' "$(cat "$state")")" = "meta-$CID" ]
	[ "$(json_get 'j["state"]["id"]' "$(cat "$state")")" = "$CID" ]
	[ "$(json_get 'j["pid"] > 0' "$(cat "$state")")" = true ]
	wait "$apid"
}

@test "SCMP_ACT_NOTIFY: a listenerPath nobody listens on fails create and leaves nothing" {
	update_config "args('true')"
	seccomp_config "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BATS_TEST_TMPDIR/nobody.sock\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run --separate-stderr corral run "$CID"
	assert_error "connect to seccomp listener" nobody.sock
	assert_nothing_left
}
