# Helpers for the reliability suites (stress, crash_recovery, state_corruption, cli_errors):
# `load lib/stress` after lib/common.
#
# These suites handle many ids per test, so the leak checks here work on an id prefix in one
# pass over /proc and /sys/fs/cgroup instead of once per id; and they never look at anything
# but this test's state root, its ids and its own processes (other suites run at the same time).

# rt ARGS...: the runtime on this test's state root, with the usual timeout but without the
# id tracking of `corral` (a worker's ids are cleaned up by prefix; tracking 200 ids would make
# teardown run 400 more runtime invocations). fd 3 is closed, as in `corral`.
rt() {
	timeout -k 5 "$RUNTIME_TIMEOUT" "$CORRAL" --root "$STATE_ROOT" "$@" 3>&-
}

# now_us: wall clock in microseconds, from the builtin $EPOCHREALTIME (no fork).
now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$((10#$t))"
}

# status_of ID: the status field of `rt state ID`, parsed in bash (state runs hundreds of
# times in a stress loop; a python per call would dominate it). Empty and status 1 when state
# fails.
status_of() {
	local out
	out=$(rt state "$1" 2>/dev/null) || return 1
	[[ "$out" =~ \"status\":\ *\"([a-z]+)\" ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# pid_of_state ID: the pid field of `rt state ID` (0 when stopped).
pid_of_state() {
	local out
	out=$(rt state "$1" 2>/dev/null) || return 1
	[[ "$out" =~ \"pid\":\ *([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# alive PID [STARTTIME]: PID exists, is not a zombie (and started at STARTTIME, field 22 of
# /proc/PID/stat, when given); builtins only (a fork costs tens of ms on a loaded 2-core
# machine, and the loops here check thousands of times).
alive() {
	local s f
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	read -ra f <<<"$s"
	[ "${f[0]}" != Z ] && { [ -z "${2:-}" ] || [ "${f[19]}" = "$2" ]; }
}

# nap SECONDS: sleep without a fork: `read -t` on a fifo nobody writes to.
nap() {
	if [ -z "${NAP_FD:-}" ]; then
		[ -p "$BATS_TEST_TMPDIR/.nap" ] || mkfifo "$BATS_TEST_TMPDIR/.nap"
		exec {NAP_FD}<>"$BATS_TEST_TMPDIR/.nap"
	fi
	read -rt "$1" -u "$NAP_FD" || true
}

# nap_close: closes nap's fifo (teardown, after everything that naps).
nap_close() {
	[ -z "${NAP_FD:-}" ] || exec {NAP_FD}>&-
	unset NAP_FD
}

# wait_gone PID [STARTTIME]: PID is gone (or a zombie) within 5 s by the clock.
wait_gone() {
	local deadline=$(($(now_us) + 5000000))
	while alive "$1" "${2:-}"; do
		[ "$(now_us)" -lt "$deadline" ] || return 1
		nap 0.05
	done
}

# procs_of PREFIX: "pid (what)" for every live process that belongs to the containers whose ids
# start with PREFIX, or to this test's runtimes: one in a cgroup named PREFIX* (any hierarchy),
# or one with this test's state root on its command line (a runtime, or a container init that
# never exec'd: it still has the runtime's command line). One grep over /proc; the patterns go
# through a file so that grep's own command line does not match.
procs_of() {
	local pat=$BATS_TEST_TMPDIR/.proc-patterns f p re="/$1[^/]*(/|\$)" l hit args
	printf '%s\n' "/$1" "$STATE_ROOT" >"$pat"
	for f in $(grep -laFf "$pat" /proc/[0-9]*/cgroup /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%%/*}
		[ "$p" != "$BASHPID" ] && [ "$p" != "$$" ] && alive "$p" || continue
		hit=
		if [ "${f##*/}" = cgroup ]; then
			# The match must be a group named PREFIX*, not some longer name holding it.
			mapfile -t args 2>/dev/null <"$f"
			for l in "${args[@]}"; do [[ "$l" =~ $re ]] && hit="cgroup ${l#*:*:}"; done
		else
			mapfile -d '' -t args 2>/dev/null <"$f"
			[[ "${args[*]}" != *"$STATE_ROOT"* ]] || hit="runs on $STATE_ROOT"
		fi
		[ -n "$hit" ] || continue
		mapfile -d '' -t args 2>/dev/null <"/proc/$p/cmdline"
		echo "$p ($hit): ${args[*]}"
	done
	return 0
}

# fds_into DIR: "pid -> target" for every open fd on the host that points below DIR.
fds_into() {
	find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -lname "$1/*" -printf '%h -> %l\n' 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/fd|\1|'
}

# cgroups_with_prefix PREFIX: cgroup directories, in any hierarchy, named PREFIX*.
cgroups_with_prefix() {
	find "$CGROUP_ROOT" -mindepth 2 -maxdepth 6 -type d -name "$1*" 2>/dev/null
}

# zombie_children PID...: zombies whose parent is one of the PIDs.
zombie_children() {
	local want=" $* "
	ps -eo pid=,ppid=,stat= | while read -r pid ppid stat; do
		[[ "$want" == *" $ppid "* && "$stat" == Z* ]] && echo "$pid (child of $ppid)"
	done
	return 0
}

# assert_prefix_gone [--no-fds] PREFIX: nothing of the containers whose ids start with PREFIX
# remains: no state dir, no cgroup, no process (see procs_of), no fd open into the state root
# (a scan of every fd on the host: --no-fds leaves it for a final call). Processes get 5 s to
# finish dying.
assert_prefix_gone() {
	local fds=1
	[ "$1" != --no-fds ] || { fds=0; shift; }
	local prefix=$1 problems=() d left
	for d in "$STATE_ROOT/$prefix"*; do
		[ ! -e "$d" ] || problems+=("state dir $d left behind")
	done
	# By the clock, not by count: on a loaded machine one scan of /proc can take 0.5 s.
	local deadline=$(($(now_us) + 5000000))
	while :; do
		left=$(procs_of "$prefix")
		[ -n "$left" ] && [ "$(now_us)" -lt "$deadline" ] || break
		nap 0.1
	done
	[ -z "$left" ] || problems+=("processes left:" "$left")
	for d in $(cgroups_with_prefix "$prefix"); do problems+=("cgroup $d left behind"); done
	if [ "$fds" -eq 1 ]; then
		left=$(fds_into "$STATE_ROOT")
		[ -z "$left" ] || problems+=("fds still open into $STATE_ROOT:" "$left")
	fi
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}

# cleanup_prefix PREFIX: teardown's broom for a failed test: delete -f whatever is left in the
# state root, kill what remains of the prefix's containers (ours by name: the prefix holds the
# suite, the test number and the bats pid) and of this test's runtimes, remove the cgroups,
# deepest first.
cleanup_prefix() {
	local prefix=$1 id p d
	for d in "$STATE_ROOT/$prefix"*; do
		[ -e "$d" ] || continue
		id=${d##*/}
		rt delete -f "$id" >/dev/null 2>&1 || true
	done
	for p in $(procs_of "$prefix" | cut -d' ' -f1); do kill -KILL "$p" 2>/dev/null || true; done
	for d in $(cgroups_with_prefix "$prefix" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
		retry 20 0.1 rmdir "$d" 2>/dev/null || true
	done
	for d in "$STATE_ROOT/$prefix"*; do
		[ ! -e "$d" ] || rm -rf "$d"
	done
	return 0
}

# mounts_changed_of_ours: the lines of the host mount table added or removed since the test's
# setup that concern this test: a mount point or root below its temp dir (bundle, rootfs,
# state root), or an id of its own ($PREFIX, $CID) anywhere in the line. Other suites mount
# and unmount on the host at the same time, so the whole table cannot be compared.
mounts_changed_of_ours() {
	local now
	now=$(</proc/self/mountinfo)
	[ "$now" != "$MOUNTINFO_BEFORE" ] || return 0
	diff <(echo "$MOUNTINFO_BEFORE") <(echo "$now") | grep '^[<>]' |
		grep -F -e "$BATS_TEST_TMPDIR" -e "${PREFIX:-$CID}" -e "$CID" || true
}

assert_no_mount_of_ours() {
	local changed
	changed=$(mounts_changed_of_ours)
	[ -z "$changed" ] || fail "host mount table changed:" "$changed"
}

# reliability_teardown: what common_teardown does (delete -f every tracked id, reap, then fail
# on anything left, removing it after reporting), with the mount check narrowed to this test's
# mounts (see mounts_changed_of_ours): assert_nothing_left compares the whole host table.
reliability_teardown() {
	[ -n "${STATE_ROOT:-}" ] || return 0
	local id pid st problems=() p d mounts
	_collect_pids
	while read -r id; do
		corral delete -f "$id" >/dev/null 2>&1 || true
	done <"$BATS_TEST_TMPDIR/.ids"
	while read -r pid st; do
		[ -z "$pid" ] || ! wait_gone "$pid" "$st" || wait "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/.pids"

	# Each tracked pid got its 5 s above: what still runs now is a leak.
	while read -r pid st; do
		[ -n "$pid" ] || continue
		alive "$pid" "$st" || continue
		problems+=("process $pid still running: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)")
		kill -KILL "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/.pids"
	while read -r id; do
		[ ! -e "$STATE_ROOT/$id" ] || problems+=("state dir $STATE_ROOT/$id left behind")
		for p in $(_procs_in_cgroup_of "$id"); do
			wait_gone "$p" && continue
			problems+=("process $p still in a cgroup of $id")
			kill -KILL "$p" 2>/dev/null || true
		done
		for d in $(_cgroup_dirs_of "$id"); do
			problems+=("cgroup $d left behind")
			retry 20 0.1 rmdir "$d" 2>/dev/null || true
		done
	done <"$BATS_TEST_TMPDIR/.ids"
	d=$(ls -A "$STATE_ROOT")
	[ -z "$d" ] || problems+=("state root not empty: ${d//$'\n'/ }")
	mounts=$(mounts_changed_of_ours)
	if [ -n "$mounts" ]; then
		problems+=("host mount table changed:" "$mounts")
		awk '{print $5}' /proc/self/mountinfo | grep -F "$BATS_TEST_TMPDIR/" | sort -r |
			while read -r d; do umount -l "$d" 2>/dev/null || true; done
	fi
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}
