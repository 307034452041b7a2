#!/usr/bin/env bats
# The failure contract: any failure exits 1 with one line on stderr naming the operation, the
# path and the errno text, and leaves nothing behind: no state dir, no process, no mount, no
# cgroup. Each test breaks one thing and checks both halves.

load lib/common

# fails_cleanly VERB SUBSTR...: `corral VERB $CID` (create in the background form) fails with
# one line containing every SUBSTR, and nothing of $CID remains.
fails_cleanly() {
	local verb=$1
	shift
	if [ "$verb" = create ]; then
		run --separate-stderr corral_bg create "$CID"
	else
		run --separate-stderr corral "$verb" "$CID"
	fi
	assert_error "$@"
	assert_nothing_left "$CID"
}

@test "bad config: a type error names the JSON path" {
	update_config 'c["process"]["user"]["uid"] = "abc"'
	fails_cleanly create process.user.uid
}

@test "bad config: a type error deeper in an array names the JSON path" {
	update_config 'c["mounts"][0]["options"] = "nosuid"'
	fails_cleanly run mounts
}

@test "bad config: uid 4294967295 (-1 to setresuid) is refused" {
	update_config 'c["process"]["user"]["uid"] = 4294967295'
	fails_cleanly run process.user.uid
}

@test "bad config: not JSON" {
	echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	fails_cleanly create config.json
}

@test "bad config: config.json missing" {
	rm "$BUNDLE/config.json"
	fails_cleanly create config.json "no such file or directory"
}

@test "bad config: empty process.args" {
	update_config 'args()'
	fails_cleanly run process.args
}

@test "bad config: an unknown rlimit type" {
	update_config 'c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	fails_cleanly run RLIMIT_BOGUS
}

@test "bad config: an unknown namespace type" {
	update_config 'lx["namespaces"].append({"type": "bogusns"})'
	fails_cleanly run bogusns
}

@test "missing rootfs" {
	update_config 'c["root"]["path"] = "no-such-rootfs"'
	fails_cleanly create no-such-rootfs "no such file or directory"
}

@test "mount error: a bind of a missing source" {
	update_config "args('probe', 'exit', '0')
mount('/mnt/x', 'bind', '$BATS_TEST_TMPDIR/no-such-source', 'bind')"
	fails_cleanly create "$BATS_TEST_TMPDIR/no-such-source" "no such file or directory"
}

@test "mount error: an unknown filesystem type" {
	update_config "args('probe', 'exit', '0'); mount('/mnt/x', 'nosuchfs', 'none')"
	fails_cleanly run /mnt/x "no such device"
}

@test "exec of a missing binary (absolute path)" {
	update_config 'args("/bin/no-such-binary")'
	fails_cleanly run /bin/no-such-binary "no such file or directory"
}

@test "exec of a missing binary (PATH lookup)" {
	update_config 'args("no-such-command")'
	fails_cleanly run no-such-command "no such file or directory"
}

@test "exec of a file that is not executable" {
	update_config 'args("/etc/passwd")'
	fails_cleanly run /etc/passwd "permission denied"
}

@test "exec failure after create: start fails, the container leaves nothing after delete" {
	update_config 'args("/bin/no-such-binary")'
	run --separate-stderr corral_bg create "$CID"
	if [ "$status" -eq 0 ]; then
		# A runtime may defer the exec check to start; then start must report it.
		run --separate-stderr corral start "$CID"
		assert_error /bin/no-such-binary "no such file or directory"
		corral delete -f "$CID"
	else
		assert_error /bin/no-such-binary "no such file or directory"
	fi
	assert_nothing_left "$CID"
}

@test "an invalid container id is refused and nothing is created outside the state root" {
	update_config 'args("probe", "exit", "0")'
	local id
	# Straight to the binary: teardown must not `delete -f ..` on a buggy runtime's behalf.
	for id in ../escape "with/slash" "" ..; do
		run --separate-stderr "$CORRAL" --root "$STATE_ROOT" run "$id" 3>&-
		assert_status 1
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	[ ! -e "$BATS_TEST_TMPDIR/escape" ]
	[ -z "$(ls -A "$STATE_ROOT")" ]
	assert_nothing_left
}

@test "--log with --log-format json: the error is a JSON line in the log too" {
	update_config 'c["root"]["path"] = "no-such-rootfs"'
	run --separate-stderr corral --log "$BATS_TEST_TMPDIR/log.json" --log-format json run "$CID"
	assert_error no-such-rootfs
	line=$(grep '"error"' "$BATS_TEST_TMPDIR/log.json" | tail -1)
	[ "$(json_get 'j["level"]' "$line")" = error ]
	[[ "$(json_get 'j["msg"]' "$line")" == *no-such-rootfs* ]]
	assert_nothing_left "$CID"
}

@test "--log text: the error is in the log file" {
	update_config 'c["root"]["path"] = "no-such-rootfs"'
	run --separate-stderr corral --log "$BATS_TEST_TMPDIR/log.txt" run "$CID"
	assert_error no-such-rootfs
	grep -q no-such-rootfs "$BATS_TEST_TMPDIR/log.txt"
	assert_nothing_left "$CID"
}

@test "a failed create keeps the state root usable: the same id then works" {
	update_config 'c["root"]["path"] = "no-such-rootfs"'
	run --separate-stderr corral_bg create "$CID"
	assert_status 1
	update_config 'c["root"]["path"] = "rootfs"; args("probe", "exit", "6")'
	run corral run "$CID"
	assert_status 6
	assert_nothing_left "$CID"
}
