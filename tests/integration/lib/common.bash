# Shared helpers for the integration suites: `load lib/common` from a .bats file.
#
# Every test gets a fresh bundle ($BUNDLE, made with `$CORRAL spec` plus a copy of the cached
# busybox rootfs), a unique container id ($CID) and its own state root ($STATE_ROOT). Teardown
# deletes whatever the test created and then fails the test if anything leaked: a state dir, a
# cgroup, a process or a host mount.
#
# Environment: CORRAL (runtime binary), CORRAL_PROBE (static probe), CORRAL_BUILD (where the
# rootfs cache lives; a temp dir if unset). CGROUP_PARENT: unset for corral, whose container
# cgroup is /sys/fs/cgroup/unified/corral/<id>; set it (e.g. CGROUP_PARENT=runc-test) to run the
# suites against another runtime: bundles then carry linux.cgroupsPath=/$CGROUP_PARENT/<id>, so
# that runtime's groups land in a known place (and not under the cgroup of whoever started the
# tests). The leak check itself looks for the id in every hierarchy either way.

bats_require_minimum_version 1.5.0

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=/usr/bin/python3
CGROUP_ROOT=/sys/fs/cgroup
# Upper bound for one runtime invocation; a hang becomes a failure instead of a CTest timeout.
RUNTIME_TIMEOUT=${RUNTIME_TIMEOUT:-60}

# ---- assertions ----------------------------------------------------------------------------

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# Prints what `run` captured, so a failed assertion explains itself.
_run_context() {
	printf 'status=%s\noutput:\n%s\n' "$status" "$output"
	[ -z "${stderr+x}" ] || printf 'stderr:\n%s\n' "$stderr"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status" "$(_run_context)"
}

# assert_line LINE: some line of $output is exactly LINE.
assert_line() {
	local l
	for l in "${lines[@]}"; do [ "$l" = "$1" ] && return 0; done
	fail "expected a line '$1'" "$(_run_context)"
}

refute_line() {
	local l
	for l in "${lines[@]}"; do [ "$l" != "$1" ] || fail "unexpected line '$1'" "$(_run_context)"; done
}

# refute_line_matching SUBSTR: no line of $output contains SUBSTR.
refute_line_matching() {
	local l
	for l in "${lines[@]}"; do
		[[ "$l" != *"$1"* ]] || fail "unexpected line containing '$1': $l" "$(_run_context)"
	done
}

assert_output_contains() {
	[[ "$output" == *"$1"* ]] || fail "expected output to contain '$1'" "$(_run_context)"
}

# kv KEY: the value of the first KEY=value line of $output (probe output).
kv() {
	local l
	for l in "${lines[@]}"; do
		[[ "$l" == "$1="* ]] && { printf '%s\n' "${l#*=}"; return 0; }
	done
	fail "no '$1=' line" "$(_run_context)"
}

assert_kv() { assert_line "$1=$2"; }

# assert_line_in_file FILE LINE: FILE has a line exactly LINE (container output files).
assert_line_in_file() {
	grep -qxF -- "$2" "$1" || fail "expected a line '$2' in $1:" "$(cat "$1" 2>&1)"
}

# assert_error SUBSTR...: the failure contract. After `run --separate-stderr`: exit status 1,
# exactly one line on stderr, containing every SUBSTR (case-insensitively, as errno text is
# capitalised by strerror and not by Go).
assert_error() {
	assert_status 1
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected exactly one line on stderr, got ${#stderr_lines[@]}" "$(_run_context)"
	local want line=${stderr_lines[0],,}
	for want in "$@"; do
		[[ "$line" == *"${want,,}"* ]] || fail "error line lacks '$want'" "$(_run_context)"
	done
}

# ---- mountinfo (the output of `probe mounts`) -------------------------------------------

# mnt_field MOUNTPOINT FIELD: from the last $output line mounted on MOUNTPOINT (the one on
# top), FIELD one of: root, opts (per-mount), tags (optional fields), fstype, source, super.
mnt_field() {
	local l f found='' i
	for l in "${lines[@]}"; do
		read -ra f <<<"$l"
		[ "${f[4]:-}" = "$1" ] && found=$l
	done
	[ -n "$found" ] || fail "nothing mounted on $1" "$(_run_context)"
	read -ra f <<<"$found"
	for ((i = 6; i < ${#f[@]}; i++)); do [ "${f[i]}" = - ] && break; done
	case $2 in
	root) echo "${f[3]}" ;;
	opts) echo "${f[5]}" ;;
	tags) echo "${f[*]:6:i-6}" ;;
	fstype) echo "${f[i + 1]}" ;;
	source) echo "${f[i + 2]}" ;;
	super) echo "${f[i + 3]}" ;;
	esac
}

# assert_mnt_opt MOUNTPOINT OPT [opts|super]: OPT is one of the comma-separated options.
assert_mnt_opt() {
	local have
	have=$(mnt_field "$1" "${3:-opts}") || return 1
	[[ ",$have," == *",$2,"* ]] || fail "$1: option $2 missing from ${3:-opts} '$have'"
}

refute_mnt_opt() {
	local have
	have=$(mnt_field "$1" "${3:-opts}") || return 1
	[[ ",$have," != *",$2,"* ]] || fail "$1: unexpected option $2 in ${3:-opts} '$have'"
}

# ---- the runtime ---------------------------------------------------------------------------

# corral ARGS...: the runtime under test with this test's state root. fd 3 (bats' own output)
# is closed, so neither the runtime nor a container can keep bats waiting. Ids passed to create
# and run and pid files are recorded for teardown.
corral() {
	_track_invocation "$@"
	timeout -k 5 "$RUNTIME_TIMEOUT" "$CORRAL" --root "$STATE_ROOT" "$@" 3>&-
}

# corral_bg VERB ARGS... ID: for create and run -d, whose container keeps the runtime's stdio.
# Inside `run`, that stdio is a pipe that bats reads to EOF, which would wait for the container
# to exit; so the container's stdout/stderr go to files (see ctr_stdout) and the runtime's own
# stderr is replayed on stderr once it returns. stdin is /dev/null.
corral_bg() {
	local id=${*: -1}
	# Parallel jobs on one id (concurrency.bats sets JOB) each keep their own
	# stderr file: a shared one would be truncated by the next job's redirect.
	local out=$BATS_TEST_TMPDIR/$id.stdout err=$BATS_TEST_TMPDIR/$id.stderr${JOB:+.$JOB} rc=0
	corral "$@" </dev/null >"$out" 2>"$err" || rc=$?
	cat "$err" >&2
	return "$rc"
}
ctr_stdout() { echo "$BATS_TEST_TMPDIR/$1.stdout"; }

# corral_run_bg [RUN ARGS...] ID: a foreground `run` as a background job of this shell, for
# signal forwarding tests. Sets RUN_PID (the runtime itself, no timeout wrapper in between);
# stdout goes to ctr_stdout ID, stderr to ID.run-stderr.
corral_run_bg() {
	local id=${*: -1}
	_track_invocation run "$@"
	# Truncate here, not in the job: a waiter must never see the previous run's output.
	: >"$(ctr_stdout "$id")"
	"$CORRAL" --root "$STATE_ROOT" run "$@" </dev/null >>"$(ctr_stdout "$id")" \
		2>"$BATS_TEST_TMPDIR/$id.run-stderr" 3>&- &
	RUN_PID=$!
	track_pid "$RUN_PID"
}

_track_invocation() {
	local verb='' arg prev=''
	for arg in "$@"; do
		if [ -z "$verb" ] && [[ "$arg" != -* ]] && [[ "$prev" != --log* ]]; then verb=$arg; fi
		if [ "$prev" = --pid-file ]; then echo "$arg" >>"$BATS_TEST_TMPDIR/.pidfiles"; fi
		prev=$arg
	done
	case "$verb" in create | run) track_id "${*: -1}" ;; esac
}

track_id() { grep -qxF -- "$1" "$BATS_TEST_TMPDIR/.ids" 2>/dev/null || echo "$1" >>"$BATS_TEST_TMPDIR/.ids"; }

# pid start time (field 22 of /proc/PID/stat): a recorded pid is the same process only while
# it matches. Pure bash, as every fork costs ~20 ms on the test VM.
proc_starttime() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	local -a f
	read -ra f <<<"${s##*) }"
	echo "${f[19]}"
}

proc_state() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	echo "${s%% *}"
}

track_pid() {
	local st
	st=$(proc_starttime "$1") || return 0
	echo "$1 $st" >>"$BATS_TEST_TMPDIR/.pids"
}

# pid_alive PID [STARTTIME]: running (zombies count as gone: nothing runs any more).
pid_alive() {
	local st state
	st=$(proc_starttime "$1") || return 1
	[ -z "${2:-}" ] || [ "$st" = "$2" ] || return 1
	state=$(proc_state "$1") || return 1
	[ "$state" != Z ]
}

# ---- state and waiting ---------------------------------------------------------------------

# json_get EXPR [JSON]: evaluates the Python expression EXPR on the JSON document (argument or
# stdin) bound to j; strings print raw, everything else as JSON.
json_get() {
	local doc
	if [ $# -ge 2 ]; then doc=$2; else doc=$(cat); fi
	"$PYTHON" -S -c '
import json, sys
j = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$doc"
}

# state_field ID FIELD: one field of `corral state ID`.
state_field() {
	local doc
	doc=$(corral state "$1") || return 1
	json_get "j[\"$2\"]" "$doc"
}

# container_pid ID: the init pid from state; also recorded for the leak check.
container_pid() {
	local pid
	pid=$(state_field "$1" pid) || return 1
	[ "$pid" -gt 0 ] || fail "state of $1 has pid $pid"
	track_pid "$pid"
	echo "$pid"
}

# retry N DELAY CMD...: run CMD until it succeeds, at most N times.
retry() {
	local n=$1 delay=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep "$delay"
	done
	return 1
}

_has_status() { [ "$(state_field "$1" status 2>/dev/null)" = "$2" ]; }
wait_for_status() {
	retry 100 0.05 _has_status "$1" "$2" ||
		fail "container $1 did not reach status $2 (now: $(state_field "$1" status 2>&1))"
}

# wait_for_line FILE LINE: FILE gets a line exactly LINE within 5 s.
wait_for_line() {
	retry 100 0.05 grep -qxF -- "$2" "$1" 2>/dev/null ||
		fail "no line '$2' in $1 after 5 s:" "$(cat "$1" 2>&1)"
}

_pid_gone() { ! pid_alive "$@"; }
wait_pid_gone() { retry 100 0.05 _pid_gone "$@"; }

# ---- bundles and config --------------------------------------------------------------------

# Python run by update_config: `c` is the config; helpers for the common edits.
_CONFIG_EDITOR='
import json, sys
path, code = sys.argv[1], sys.argv[2]
with open(path) as f:
    c = json.load(f)
lx = c.setdefault("linux", {})
def args(*a): c["process"]["args"] = list(a)
def env(*kv): c["process"]["env"] = list(kv)
def ns(t, path=None):
    """Add (or replace) namespace t, joining path if given."""
    l = [n for n in lx.get("namespaces", []) if n["type"] != t]
    l.append({"type": t, "path": path} if path else {"type": t})
    lx["namespaces"] = l
def drop_ns(t): lx["namespaces"] = [n for n in lx.get("namespaces", []) if n["type"] != t]
def mount(dest, type, source, *options):
    c.setdefault("mounts", []).append(
        {"destination": dest, "type": type, "source": source, "options": list(options)})
def drop_mount(dest): c["mounts"] = [m for m in c.get("mounts", []) if m["destination"] != dest]
def hook(kind, path, *a, env=None, timeout=None):
    h = {"path": path, "args": [path.rsplit("/", 1)[-1]] + list(a)}
    if env is not None: h["env"] = list(env)
    if timeout is not None: h["timeout"] = timeout
    c.setdefault("hooks", {}).setdefault(kind, []).append(h)
exec(code)
with open(path + ".tmp", "w") as f:
    json.dump(c, f, indent=2)
import os
os.rename(path + ".tmp", path)
'

# update_config [-b BUNDLE] CODE: edits BUNDLE/config.json ($BUNDLE by default) with Python
# statements, e.g. update_config 'args("probe", "ns"); drop_ns("network"); c["hostname"] = "x"'.
update_config() {
	local bundle=$BUNDLE
	if [ "$1" = -b ]; then bundle=$2; shift 2; fi
	"$PYTHON" -S -c "$_CONFIG_EDITOR" "$bundle/config.json" "$1"
}

# config_get [-b BUNDLE] EXPR: a Python expression on the config bound to j.
config_get() {
	local bundle=$BUNDLE
	if [ "$1" = -b ]; then bundle=$2; shift 2; fi
	json_get "$1" "$(cat "$bundle/config.json")"
}

# make_bundle DIR ID: a bundle as a user makes one, with `$CORRAL spec`, normalised so that it
# means the same to every runtime (no terminal: nothing here provides a console socket).
make_bundle() {
	local dir=$1 id=$2 edit='c["process"]["terminal"] = False'
	mkdir -p "$dir"
	"$CORRAL" spec -b "$dir" 3>&- || fail "$CORRAL spec -b $dir failed"
	# A shared lock: make-rootfs.sh rebuilds the cache only under the exclusive one.
	flock -s "$ROOTFS_CACHE.lock" cp -a "$ROOTFS_CACHE" "$dir/rootfs"
	[ -z "${CGROUP_PARENT:-}" ] || edit+="; lx[\"cgroupsPath\"] = \"/$CGROUP_PARENT/$id\""
	update_config -b "$dir" "$edit"
}

# The container's cgroup v2 group: /sys/fs/cgroup on a pure v2 host (the VM lane), the hybrid
# /sys/fs/cgroup/unified otherwise.
cgroup2_root() {
	if [ "$(stat -f -c %T "$CGROUP_ROOT")" = cgroup2fs ]; then echo "$CGROUP_ROOT"; else echo "$CGROUP_ROOT/unified"; fi
}
container_cgroup() { echo "$(cgroup2_root)/${CGROUP_PARENT:-corral}/$1"; }

# new_id [SUFFIX]: unique across suites running in parallel: <suite>-<test>-<pid>-<suffix>.
new_id() {
	local suite=${BATS_TEST_FILENAME##*/}
	echo "${suite%.bats}-$BATS_TEST_NUMBER-$$-${1:-$RANDOM}"
}

# Namespace inode of this (host) shell.
host_ns() { stat -L -c %i "/proc/$$/ns/$1"; }

# ---- setup and teardown --------------------------------------------------------------------

ROOTFS_CACHE=${CORRAL_BUILD:-${BATS_RUN_TMPDIR:-/tmp}}/integration-rootfs

# Once per file: the rootfs cache (cheap when it is current).
common_setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	[[ -n "${CORRAL:-}" && -x "$CORRAL" ]] || fail "CORRAL must name the runtime binary"
	[[ -n "${CORRAL_PROBE:-}" && -f "$CORRAL_PROBE" ]] || fail "CORRAL_PROBE must name the probe"
	"$INTEGRATION_DIR/make-rootfs.sh" "$ROOTFS_CACHE" "$CORRAL_PROBE"
}

common_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: containers are created for real"

	STATE_ROOT=$BATS_TEST_TMPDIR/state
	mkdir -p "$STATE_ROOT"
	: >"$BATS_TEST_TMPDIR/.ids"
	: >"$BATS_TEST_TMPDIR/.pids"
	: >"$BATS_TEST_TMPDIR/.pidfiles"
	MOUNTINFO_BEFORE=$(host_mounts)
	CID=$(new_id)
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	make_bundle "$BUNDLE" "$CID"
	# The runtime's default bundle is the working directory; tests rely on that default.
	cd "$BUNDLE" || return 1
}

# Records the pids the runtime told us about: pid files and the state of every tracked id.
_collect_pids() {
	local f id pid
	while read -r f; do
		[ -s "$f" ] && read -r pid <"$f" && [[ "$pid" =~ ^[0-9]+$ ]] && track_pid "$pid"
	done <"$BATS_TEST_TMPDIR/.pidfiles"
	while read -r id; do
		pid=$(state_field "$id" pid 2>/dev/null) && [ "${pid:-0}" -gt 0 ] && track_pid "$pid"
	done <"$BATS_TEST_TMPDIR/.ids"
	return 0
}

# Processes whose cgroup (in any hierarchy) ends in /ID or lies below it.
_procs_in_cgroup_of() {
	grep -lE -- "/$1(/|\$)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
}

# live_procs_of ID: the running (not zombie) processes in ID's cgroups.
live_procs_of() {
	local p
	for p in $(_procs_in_cgroup_of "$1"); do pid_alive "$p" && echo "$p"; done
	return 0
}

_cgroup_dirs_of() {
	find "$CGROUP_ROOT" -mindepth 2 -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# host_mounts: /proc/self/mountinfo without the mounts of other bats runs, whose mount points
# lie below their own bats-run-* temp dir: the sanitizer lane runs suites side by side, and
# their tests' own mounts are not this test's leak. (awk reads the file itself: procfs files
# report size 0, which tools like cmp trust.)
host_mounts() {
	awk -v own="$BATS_RUN_TMPDIR/" -v runs="${BATS_RUN_TMPDIR%/*}/bats-run-" \
		'index($5, runs) == 1 && index($5 "/", own) != 1 { next } { print }' /proc/self/mountinfo
}

# assert_nothing_left [ID...]: nothing of the given containers (default: every tracked id)
# remains: state dir, process, cgroup; and the host mount table is as it was before the test.
# With CLEANUP=1 (teardown) it also removes what leaked, after reporting it, so that one bad
# test does not poison the next.
assert_nothing_left() {
	local ids=("$@") id pid st problems=() p d
	[ $# -gt 0 ] || mapfile -t ids <"$BATS_TEST_TMPDIR/.ids"

	while read -r pid st; do
		[ -n "$pid" ] || continue
		if ! wait_pid_gone "$pid" "$st"; then
			problems+=("process $pid still running: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)")
			[ -z "${CLEANUP:-}" ] || kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$BATS_TEST_TMPDIR/.pids"

	for id in "${ids[@]}"; do
		[ ! -e "$STATE_ROOT/$id" ] || problems+=("state dir $STATE_ROOT/$id left behind")
		for p in $(_procs_in_cgroup_of "$id"); do
			wait_pid_gone "$p" && continue
			problems+=("process $p still in a cgroup of $id")
			[ -z "${CLEANUP:-}" ] || kill -KILL "$p" 2>/dev/null || true
		done
		for d in $(_cgroup_dirs_of "$id"); do
			problems+=("cgroup $d left behind")
			[ -z "${CLEANUP:-}" ] || retry 20 0.1 rmdir "$d" 2>/dev/null || true
		done
	done
	d=$(ls -A "$STATE_ROOT")
	[ -z "$d" ] || problems+=("state root not empty: ${d//$'\n'/ }")

	local now
	now=$(host_mounts)
	if [ "$now" != "$MOUNTINFO_BEFORE" ]; then
		problems+=("host mount table changed:" "$(diff <(echo "$MOUNTINFO_BEFORE") <(echo "$now") | grep '^[<>]')")
		# Only mounts below this test's temp dir are ours to remove.
		[ -z "${CLEANUP:-}" ] ||
			awk '{print $5}' /proc/self/mountinfo | grep -F "$BATS_TEST_TMPDIR/" | sort -r |
			while read -r d; do umount -l "$d" 2>/dev/null || true; done
	fi

	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}

common_teardown() {
	[ -n "${STATE_ROOT:-}" ] || return 0
	local id
	_collect_pids
	while read -r id; do
		corral delete -f "$id" >/dev/null 2>&1 || true
	done <"$BATS_TEST_TMPDIR/.ids"
	# Foreground `run`s started as jobs of this shell exit once their container is gone; reap
	# them (wait on a pid that is not our child just fails).
	local pid st
	while read -r pid st; do
		[ -z "$pid" ] || ! wait_pid_gone "$pid" "$st" || wait "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/.pids"
	CLEANUP=1 assert_nothing_left
}

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }
