# Helpers for init.bats (`--init`: corral-init as PID 1, the command as PID 2): `load lib/init`
# after lib/common.

# host_pid_of ID NSPID: the host pid of the process of container ID whose pid in the
# container's pid namespace is NSPID (the last NSpid field of /proc/PID/status), from the
# processes in the container's cgroup. Fails when there is none.
host_pid_of() {
	local p l
	for p in $(_procs_in_cgroup_of "$1"); do
		while read -r l; do
			[[ "$l" == NSpid:* ]] || continue
			[ "${l##*[[:space:]]}" = "$2" ] && { echo "$p"; return 0; }
			break
		done <"/proc/$p/status" 2>/dev/null
	done
	fail "no process of $1 has pid $2 in its pid namespace"
}

# status_value PID KEY: a /proc/PID/status field (e.g. VmRSS), whitespace squeezed.
status_value() {
	local l
	while read -r l; do
		if [[ "$l" == "$2:"* ]]; then
			local -a words
			read -ra words <<<"${l#*:}"
			echo "${words[*]}"
			return 0
		fi
	done <"/proc/$1/status"
	return 1
}

# stat_field PID N: field N of /proc/PID/stat counted after the command name (1 = state,
# 2 = ppid, 3 = pgrp, 4 = session), pids as the host sees them.
stat_field() {
	local s
	read -r s <"/proc/$1/stat" || return 1
	local -a f
	read -ra f <<<"${s##*) }"
	echo "${f[$2 - 1]}"
}

# now_ms: the wall clock in milliseconds, without a fork.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# ---- batches of foreground runs ------------------------------------------------------------

# make_batch NAME: reads lines "SUFFIX<TAB>ARG<TAB>ARG..." on stdin and makes, for each, a
# bundle $BATS_TEST_TMPDIR/NAME/SUFFIX whose config is $BUNDLE's with process.args = the ARGs
# and root.path = $BUNDLE/rootfs (the rootfs is shared: the containers only read it). Prints
# "ID SUFFIX" per line, ID a new id, NAME's prefix (see batch_prefix) and SUFFIX.
make_batch() {
	local dir=$BATS_TEST_TMPDIR/$1
	mkdir -p "$dir"
	"$PYTHON" -S -c '
import json, os, sys
base, root, out, prefix = sys.argv[1:5]
with open(base) as f:
    c = json.load(f)
c["root"]["path"] = root
for line in sys.stdin.read().splitlines():
    if not line:
        continue
    suffix, *args = line.split("\t")
    c["process"]["args"] = args
    os.makedirs(os.path.join(out, suffix), exist_ok=True)
    with open(os.path.join(out, suffix, "config.json"), "w") as f:
        json.dump(c, f)
    print(prefix + suffix, suffix)' "$BUNDLE/config.json" "$BUNDLE/rootfs" "$dir" "$(batch_prefix "$1")"
}

# batch_prefix NAME: what the ids of NAME's containers start with.
batch_prefix() { new_id "$1-"; }

# run_batch NAME JOBS [RUN OPTIONS...] < "ID SUFFIX" lines: `corral run [OPTIONS] -b BUNDLE ID`
# for each, JOBS at a time, each in the foreground of its own job with stdin /dev/null; its
# exit status goes to NAME/SUFFIX/rc, its stdout and stderr to NAME/SUFFIX/{out,err}. Every
# fork costs here: the ids are tracked in one write, not one track_id each.
run_batch() {
	local jobs=$2 dir=$BATS_TEST_TMPDIR/$1 running=0 id suffix
	shift 2
	local -a pairs
	mapfile -t pairs
	printf '%s\n' "${pairs[@]%% *}" >>"$BATS_TEST_TMPDIR/.ids"
	for id in "${pairs[@]}"; do
		suffix=${id#* }
		id=${id%% *}
		(
			rc=0
			timeout -k 5 "$RUNTIME_TIMEOUT" "$CORRAL" --root "$STATE_ROOT" run "$@" \
				-b "$dir/$suffix" "$id" </dev/null >"$dir/$suffix/out" 2>"$dir/$suffix/err" || rc=$?
			echo "$rc" >"$dir/$suffix/rc"
		) 3>&- &
		if ((++running >= jobs)); then
			wait -n || true
			((running--))
		fi
	done
	wait
}

# shellcheck disable=SC2034 # rc and err are for the caller
# batch_result NAME SUFFIX: sets rc (the exit status recorded by run_batch, "none" when there
# is none) and err (the run's stderr), without a fork.
batch_result() {
	local dir=$BATS_TEST_TMPDIR/$1/$2
	rc=none err=''
	[ -f "$dir/rc" ] && read -r rc <"$dir/rc"
	[ -s "$dir/err" ] && err=$(<"$dir/err")
	return 0
}

# batch_left_nothing NAME: nothing of NAME's containers is left (state dir, cgroup, process),
# checked in one pass each rather than one per id as assert_nothing_left does (which costs
# seconds for hundreds of ids); then they are dropped from teardown's list. When something is
# left they stay on it, so teardown cleans up.
batch_left_nothing() {
	local prefix problems=() p d
	prefix=$(batch_prefix "$1")
	for d in "$STATE_ROOT/$prefix"*; do
		[ ! -e "$d" ] || problems+=("state dir $d left behind")
	done
	for p in $(grep -lF -- "/$prefix" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
		pid_alive "$p" && problems+=("process $p still in a cgroup of $1: $(tr '\0' ' ' <"/proc/$p/cmdline")")
	done
	for d in $(find "$CGROUP_ROOT" -mindepth 2 -maxdepth 6 -type d -name "$prefix*" 2>/dev/null); do
		problems+=("cgroup $d left behind")
	done
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
	grep -vF -- "$prefix" "$BATS_TEST_TMPDIR/.ids" >"$BATS_TEST_TMPDIR/.ids.new" || true
	mv "$BATS_TEST_TMPDIR/.ids.new" "$BATS_TEST_TMPDIR/.ids"
}
