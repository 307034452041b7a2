#!/usr/bin/env bats
# SECURITY.md class 8, user parsing (CVE-2016-3697, containerd CVE-2024-40635, crun
# CVE-2026-30892): uid and gid are strict decimal uint32. 4294967295 is -1 to setresuid
# ("leave unchanged": the process would stay root), larger values wrap, and strings, signs,
# fractions and exponents are not ids. Each bad value makes create fail with one line naming
# the field, and leaves nothing. The rootfs' /etc/passwd and /etc/group are never consulted.

load lib/security

# JSON literals, written into config.json as they are (jq would turn big integers into floats).
# null is not here: the parser reads null as "unset", as Go's encoding/json (and so runc) does.
BAD_VALUES=(4294967295 4294967296 -1 '"0x10"' 1.5 '"0"' 18446744073709551616 1e3 '"1000"'
	'true' '[0]' 9223372036854775807 -4294967295 1.0)

# t_bad_ids FIELD JQ_PATH: every BAD_VALUES literal at JQ_PATH (a placeholder string first,
# then replaced textually) makes create fail naming FIELD.
t_bad_ids() {
	local field=$1 path=$2 template i
	cfg --arg root "$BUNDLE/rootfs" '.root.path = $root | args(["probe", "ids"])'
	template=$(jq "$path = \"@@V@@\"" "$BUNDLE/config.json")
	mkdir -p $(seq -f "$BATS_TEST_TMPDIR/case/%g" 0 $((${#BAD_VALUES[@]} - 1)))
	for ((i = 0; i < ${#BAD_VALUES[@]}; i++)); do
		printf '%s\n' "${template//\"@@V@@\"/${BAD_VALUES[i]}}" >"$BATS_TEST_TMPDIR/case/$i/config.json"
	done
	LOOP_VERB=create run_loop 0 $((${#BAD_VALUES[@]} - 1)) "$BATS_TEST_TMPDIR/case/%N"
	local problems=()
	for ((i = 0; i < ${#BAD_VALUES[@]}; i++)); do
		loop_result "$i" || { problems+=("${BAD_VALUES[i]}: create succeeded"); continue; }
		[ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"$field"* ]] ||
			problems+=("${BAD_VALUES[i]}: status $status: $output")
	done
	[ ${#problems[@]} -eq 0 ] || fail "$field:" "${problems[@]}"
	loop_result 0
	note "e.g. $output"
	assert_nothing_left "$CID"
}

@test "process.user.uid: 4294967295, 4294967296, -1, \"0x10\", 1.5, \"0\"... are refused" {
	t_bad_ids process.user.uid .process.user.uid
}

@test "process.user.gid: the same values are refused" {
	t_bad_ids process.user.gid .process.user.gid
}

@test "process.user.additionalGids: the same values are refused" {
	t_bad_ids process.user.additionalGids '.process.user.additionalGids = [5, 6] | .process.user.additionalGids[1]'
}

@test "the largest valid ids (4294967294) are used exactly" {
	cfg 'args(["probe", "ids"]) | .process.user = {uid: 4294967294, gid: 4294967294, additionalGids: [4294967294, 7]}'
	run_ctr
	assert_status 0
	assert_kv uid 4294967294
	assert_kv euid 4294967294
	assert_kv suid 4294967294
	assert_kv gid 4294967294
	assert_kv groups 7,4294967294 # the kernel keeps them sorted
}

@test "the rootfs' /etc/passwd and /etc/group are not consulted: ids and groups are the config's" {
	# A hostile image makes root a member of its groups and gives uid 1000 a name and groups.
	cat >"$BUNDLE/rootfs/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		evil:x:1000:0:evil:/:/bin/sh
	EOF
	cat >"$BUNDLE/rootfs/etc/group" <<-'EOF'
		root:x:0:root,evil
		disk:x:6:root,evil
		kmem:x:15:root,evil
		docker:x:999:root,evil
	EOF
	cfg 'args(["sh", "-c", "probe ids; echo ---"]) | .process.user = {uid: 1000, gid: 1000}'
	run_ctr
	assert_status 0
	assert_kv uid 1000
	assert_kv gid 1000
	assert_kv groups ''
	cfg '.process.user = {uid: 0, gid: 0, additionalGids: [5]}'
	run_ctr
	assert_status 0
	assert_kv groups 5
}
