# Shared helpers for the security suites (SECURITY.md, one suite per breakout class):
# `load lib/security` from a tests/security/*.bats file.
#
# Built on the integration harness (../integration/lib/common.bash): the same $CORRAL,
# $STATE_ROOT, $CID, $BUNDLE, `corral`, `corral_bg`, assert_* helpers and the same leak check
# in teardown (state dir, process, cgroup, host mount table). On top of it every test gets:
#
#   host sentinels   snapshotted in setup, compared in teardown (a change fails the test):
#                    - the canary $SEC_CANARY, a host directory outside the bundle (a file, a
#                      subdirectory, a symlink): type, mode, owner, size, mtime, ctime, inode
#                      and content of every entry, and its listing;
#                    - the listing, mtime and ctime of the host's "/";
#                    - /proc/sys/kernel/{core_pattern,modprobe,hostname,domainname} (a changed
#                      core_pattern is restored after it is reported);
#                    - the identity (inode, size, mtime, ctime) of the runtime binary, whose
#                      sha256 is also taken in setup_file and compared in teardown_file: any
#                      write to the file changes its ctime, which nothing in a container can
#                      set back, so the cheap per-test check is exact and the hash confirms it.
#   helpers          small static C programs from tests/security/helpers, built here with
#                    `cc -static` into $CORRAL_BUILD/security-helpers (cached by source hash).
#   degraded lane    `degraded` makes every runtime call of the test go through
#                    $NO_OPENAT2, a seccomp wrapper making openat2 and the new mount API
#                    answer ENOSYS, so the fallbacks run.
#   config edits     `cfg FILTER` edits $BUNDLE/config.json with jq (a python start costs
#                    0.6 s on the test VM), with the helper functions of $_SEC_JQ_DEFS.

load ../integration/lib/common

SECURITY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEC_HELPER_SRC=$SECURITY_DIR/helpers
SEC_HELPERS=${CORRAL_BUILD:-${BATS_RUN_TMPDIR:-/tmp}}/security-helpers
NO_OPENAT2=$SEC_HELPERS/no-openat2
RACER=$SEC_HELPERS/racer
# Runtime calls are prefixed with this (the degraded lane sets it to $NO_OPENAT2).
CORRAL_WRAP=()

# ---- helpers -----------------------------------------------------------------------------

# Compiler flags per helper; the default is a static glibc program.
_helper_flags() {
	case $1 in
	# An ELF interpreter with no libc (see evil-interp.c).
	evil-interp) echo "-static -nostdlib -fno-stack-protector -fno-builtin -fcf-protection=none -O2" ;;
	*) echo "-static -O2" ;;
	esac
}

# Builds every helpers/*.c when any source (or this list of flags) changed since the last
# build. Suites run in parallel under ctest: the build holds a lock, each binary is published
# with a rename and the stamp written last.
build_security_helpers() {
	mkdir -p "$SEC_HELPERS"
	(
		flock 9
		local src name want
		want=$( (cat "$SEC_HELPER_SRC"/*.c; declare -f _helper_flags) | sha256sum)
		[ "$(cat "$SEC_HELPERS/.stamp" 2>/dev/null)" = "$want" ] && exit 0
		for src in "$SEC_HELPER_SRC"/*.c; do
			name=${src##*/}
			name=${name%.c}
			# shellcheck disable=SC2046 # flags are words
			cc $(_helper_flags "$name") -Wall -o "$SEC_HELPERS/$name.tmp.$$" "$src" ||
				{ echo "security helpers: cannot build $src" >&2; exit 1; }
			mv "$SEC_HELPERS/$name.tmp.$$" "$SEC_HELPERS/$name"
		done
		echo "$want" >"$SEC_HELPERS/.stamp"
	) 9>"$SEC_HELPERS/.lock"
}

# symlinks TARGET_FORMAT DIR FIRST LAST: DIR/N -> TARGET_FORMAT with %N replaced by N, for N
# from FIRST to LAST, in one process (an `ln` per link costs ~20 ms here).
symlinks() {
	perl -e 'my ($fmt, $dir, $first, $last) = @ARGV;
		for my $n ($first .. $last) {
			(my $t = $fmt) =~ s/%N/$n/g;
			symlink($t, "$dir/$n") or die "symlink $dir/$n: $!\n";
		}' "$@"
}

# install_helper NAME [DEST]: copies a helper into the bundle's rootfs (default /bin/NAME).
install_helper() {
	local dest=${2:-/bin/$1}
	mkdir -p "$BUNDLE/rootfs$(dirname "$dest")"
	install -m 0755 "$SEC_HELPERS/$1" "$BUNDLE/rootfs$dest"
}

# ---- the runtime ---------------------------------------------------------------------------

# Same as common's `corral` (tracking, fd 3 closed, timeout), through $CORRAL_WRAP.
corral() {
	_track_invocation "$@"
	timeout -k 5 "$RUNTIME_TIMEOUT" "${CORRAL_WRAP[@]}" "$CORRAL" --root "$STATE_ROOT" "$@" 3>&-
}

# rt ARGS...: the runtime without id tracking, for loops that reuse one tracked id.
rt() {
	timeout -k 5 "$RUNTIME_TIMEOUT" "${CORRAL_WRAP[@]}" "$CORRAL" --root "$STATE_ROOT" "$@" 3>&-
}

# run_loop FIRST LAST BUNDLE [ARGS...]: `$LOOP_VERB -b BUNDLE [ARGS...] $CID` (LOOP_VERB: run by
# default, or create) for N from FIRST to LAST, "%N" in BUNDLE replaced by N, one after the
# other, in a plain bash: bats' traps make a loop of forks about three times slower. Leaves in
# $BATS_TEST_TMPDIR/loop per N: N.out (stdout and stderr), N.rc (exit status) and N.left if
# the state dir of $CID survived the run (a `create` that succeeded is then deleted, so the
# next one starts clean). The whole loop is bounded by 150 s. Read results with loop_result.
run_loop() {
	local first=$1 last=$2 bundle=$3
	shift 3
	mkdir -p "$BATS_TEST_TMPDIR/loop"
	_track_invocation run "$CID"
	# shellcheck disable=SC2016 # the script is for the inner bash
	timeout -k 5 150 bash -c '
		first=$1 last=$2 bundle=$3 root=$4 id=$5 out=$6 verb=$7 nwrap=$8
		shift 8
		wrap=("${@:1:nwrap}")
		shift "$nwrap"
		for ((n = first; n <= last; n++)); do
			"${wrap[@]}" "$CORRAL" --root "$root" "$verb" -b "${bundle//%N/$n}" "$@" "$id" \
				</dev/null >"$out/$n.out" 2>&1
			echo $? >"$out/$n.rc"
			if [ -e "$root/$id" ]; then
				: >"$out/$n.left"
				"$CORRAL" --root "$root" delete -f "$id" >/dev/null 2>&1
			fi
		done' run_loop "$first" "$last" "$bundle" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/loop" \
		"${LOOP_VERB:-run}" "${#CORRAL_WRAP[@]}" "${CORRAL_WRAP[@]}" "$@" 3>&-
}

# loop_result N: sets status, output and lines from run N of the last run_loop; fails if that
# run left its state dir behind.
loop_result() {
	local d=$BATS_TEST_TMPDIR/loop
	[ -f "$d/$1.rc" ] || fail "run $1 of the loop did not happen"
	status=$(<"$d/$1.rc")
	output=$(<"$d/$1.out")
	mapfile -t lines <<<"$output"
	[ ! -e "$d/$1.left" ] || fail "run $1 left its state dir behind: $output"
}

# degraded: the rest of this test runs the runtime under the no-openat2 seccomp filter.
degraded() {
	CORRAL_WRAP=("$NO_OPENAT2")
}

# The degraded lane proves itself: the wrapper's own self-test, then a container run through it
# carries the filter (Seccomp: 2), so the runtime did too.
assert_degraded_lane_works() {
	run "$NO_OPENAT2" --self-test
	assert_status 0
	assert_line openat2=ENOSYS
	degraded
	cfg 'args(["probe", "caps"])'
	run_ctr
	assert_status 0
	assert_kv Seccomp 2
}

# note TEXT...: a TAP comment (what a test observed, for whoever reads the log).
note() {
	local IFS=' '
	printf '# %s\n' "${*//$'\n'/ | }" >&3
}

# create_fails_cleanly SUBSTR...: `create $CID` fails with the one-line error contract naming
# every SUBSTR, and nothing of $CID is left.
create_fails_cleanly() {
	run --separate-stderr corral_bg create "$CID"
	assert_error "$@"
	assert_nothing_left "$CID"
}

# run_ctr [RUN ARGS...]: `run $CID` captured by bats' run, stdout and stderr merged (stdin
# /dev/null).
run_ctr() {
	run corral run "$@" "$CID" </dev/null
}

# ---- config (jq) -----------------------------------------------------------------------------

_SEC_JQ_DEFS='
def args($a): .process.args = $a;
def env_add($e): .process.env += $e;
def mount($d; $t; $s; $o): .mounts += [{destination: $d, type: $t, source: $s, options: $o}];
def bind($d; $s): mount($d; "bind"; $s; ["bind"]);
def drop_mount($d): .mounts |= map(select(.destination != $d));
def ns($t; $p): .linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}]);
def caps($l): .process.capabilities = {bounding: $l, effective: $l, permitted: $l};
def add_caps($l): .process.capabilities |= with_entries(.value += $l);
def masked($l): .linux.maskedPaths += $l;
def rw_root: .root.readonly = false;
'

# cfg [-b BUNDLE] [JQ OPTIONS...] FILTER: edits BUNDLE/config.json ($BUNDLE by default).
cfg() {
	local bundle=$BUNDLE
	if [ "$1" = -b ]; then bundle=$2; shift 2; fi
	local filter=${*: -1}
	local -a opts=("${@:1:$#-1}")
	jq "${opts[@]}" "$_SEC_JQ_DEFS $filter" "$bundle/config.json" >"$bundle/config.json.tmp" &&
		mv "$bundle/config.json.tmp" "$bundle/config.json"
}

# ---- host sentinels ------------------------------------------------------------------------

# The canary: a host directory outside the bundle, with old timestamps so that any change is
# visible. Tests point rootfs symlinks at it.
make_canary() {
	SEC_CANARY=$BATS_TEST_TMPDIR/canary
	mkdir -p "$SEC_CANARY/sub"
	echo "canary $RANDOM$RANDOM" >"$SEC_CANARY/file"
	echo inner >"$SEC_CANARY/sub/inner"
	ln -s file "$SEC_CANARY/link"
	touch -h -d '2001-02-03 04:05:06' "$SEC_CANARY/link" "$SEC_CANARY/file" "$SEC_CANARY/sub/inner" \
		"$SEC_CANARY/sub" "$SEC_CANARY"
}

# Everything a breakout could change, as text (few forks: each costs ~20 ms on the test VM).
sentinel_state() {
	echo "== canary $SEC_CANARY"
	find "$SEC_CANARY" -printf '%y %m %U:%G %s %T@ %C@ %i %P -> %l\n'
	echo "$(<"$SEC_CANARY/file") $(<"$SEC_CANARY/sub/inner")"
	echo "== host / and the runtime binary"
	stat -c '%n %F %a %i %s %Y %Z' / "$SEC_CORRAL_REAL"
	local -a top
	top=(/* /.[!.]*)
	echo "${top[*]}"
	echo "== sysctls"
	local k
	for k in core_pattern modprobe hostname domainname; do
		echo "$k=$(</proc/sys/kernel/$k)"
	done
}

sentinels_snapshot() {
	SEC_CORE_PATTERN=$(</proc/sys/kernel/core_pattern)
	SEC_SENTINELS_BEFORE=$(sentinel_state 2>&1)
}

# Fails (with a diff) if any sentinel changed; a changed core_pattern is put back.
sentinels_check() {
	[ -n "${SEC_SENTINELS_BEFORE:-}" ] || return 0
	local now
	now=$(sentinel_state 2>&1)
	[ "$now" = "$SEC_SENTINELS_BEFORE" ] && return 0
	if [ "$(</proc/sys/kernel/core_pattern)" != "$SEC_CORE_PATTERN" ]; then
		printf '%s\n' "$SEC_CORE_PATTERN" >/proc/sys/kernel/core_pattern || true
	fi
	fail "HOST SENTINEL CHANGED:" "$(diff <(echo "$SEC_SENTINELS_BEFORE") <(echo "$now"))"
}

# sha256 of the runtime binary.
corral_sha() { sha256sum "${1:-$SEC_CORRAL_REAL}" | cut -d' ' -f1; }

# ---- containers --------------------------------------------------------------------------

# ctr_init_fds PID: "N -> target flags" for every fd of PID, read from the host.
ctr_init_fds() {
	local f n flags
	for f in /proc/"$1"/fd/*; do
		n=${f##*/}
		flags=$(awk '/^flags:/ {print $2}' "/proc/$1/fdinfo/$n" 2>/dev/null) || continue
		printf '%s -> %s flags=%s\n' "$n" "$(readlink "$f")" "$flags"
	done
}

# mountpoints: the mount point (field 5) of every line of $output (probe mounts).
mountpoints() {
	local l f
	for l in "${lines[@]}"; do
		read -ra f <<<"$l"
		[[ "${f[4]:-}" == /* ]] && echo "${f[4]}"
	done
}

# ---- setup and teardown ----------------------------------------------------------------

sec_setup_file() {
	common_setup_file
	[ "$(id -u)" -eq 0 ] || return 0
	build_security_helpers
	SEC_CORRAL_REAL=$CORRAL
	corral_sha >"$BATS_FILE_TMPDIR/corral.sha256"
	# One config template per file: `corral spec` normalised as make_bundle does, without a
	# python start per test.
	local t=$BATS_FILE_TMPDIR/template edit='.process.terminal = false'
	mkdir -p "$t"
	"$CORRAL" spec -b "$t" 3>&- || fail "$CORRAL spec failed"
	[ -z "${CGROUP_PARENT:-}" ] || edit+=' | .linux.cgroupsPath = $cg'
	jq --arg cg "/${CGROUP_PARENT:-}/ID" "$edit" "$t/config.json" >"$t/config.json.tmp"
	mv "$t/config.json.tmp" "$t/config.json"
}

sec_teardown_file() {
	[ -f "${BATS_FILE_TMPDIR:-}/corral.sha256" ] || return 0
	local before now
	before=$(cat "$BATS_FILE_TMPDIR/corral.sha256")
	now=$(corral_sha "$CORRAL")
	[ "$before" = "$now" ] || fail "the runtime binary $CORRAL changed: sha256 $before -> $now"
}

sec_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: containers are created for real"
	SEC_CORRAL_REAL=$CORRAL
	STATE_ROOT=$BATS_TEST_TMPDIR/state
	mkdir -p "$STATE_ROOT"
	: >"$BATS_TEST_TMPDIR/.ids"
	: >"$BATS_TEST_TMPDIR/.pids"
	: >"$BATS_TEST_TMPDIR/.pidfiles"
	: >"$BATS_TEST_TMPDIR/.bgpids"
	MOUNTINFO_BEFORE=$(host_mounts)
	CID=$(new_id)
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	sed "s|/ID\"|/$CID\"|" "$BATS_FILE_TMPDIR/template/config.json" >"$BUNDLE/config.json"
	flock -s "$ROOTFS_CACHE.lock" cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
	make_canary
	sentinels_snapshot
	cd "$BUNDLE" || return 1
}

# bg_start CMD...: a background helper of this test (racer...), stopped in teardown.
bg_start() {
	"$@" </dev/null 3>&- &
	echo "$!" >>"$BATS_TEST_TMPDIR/.bgpids"
	BG_PID=$!
}

# bg_stop PID: SIGTERM and wait (only our own children).
bg_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

sec_teardown() {
	local rc=0 pid
	[ -n "${STATE_ROOT:-}" ] || return 0
	while read -r pid; do
		[ -n "$pid" ] && bg_stop "$pid"
	done <"$BATS_TEST_TMPDIR/.bgpids"
	# Cleanup with the real binary, unwrapped: a test may have switched to a copy.
	CORRAL=$SEC_CORRAL_REAL
	CORRAL_WRAP=()
	cd "$BATS_TEST_TMPDIR" || true
	common_teardown || rc=1
	sentinels_check || rc=1
	return "$rc"
}

setup_file() { sec_setup_file; }
teardown_file() { sec_teardown_file; }
setup() { sec_setup; }
teardown() { sec_teardown; }
