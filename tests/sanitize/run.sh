#!/bin/bash
# The sanitizer lane: corral and its unit tests built with ASan+UBSan (CORRAL_SANITIZE=ON, clang,
# a separate CMake tree of the same source), the unit tests run, then bats suites of
# tests/integration and tests/security run once against the sanitized corral. Any sanitizer
# report fails the lane (a leak, undefined behaviour, a memory error), even when the test around
# it passed.
#
#   tests/sanitize/run.sh [--build-only] <source dir> <build dir>
#
# Which suites: all 35 of tests/integration and tests/security by default (SUITES below, about
# 15 minutes two at a time on this 2-core machine, quiet); SANITIZE_SUITES=
# "integration/exec.bats ..." for those. SANITIZE_WORKERS: suites at a time (2).
# SANITIZE_JOBS: build jobs (default: number of CPUs). Needs root, as the suites do (exit 77
# otherwise). --build-only configures and builds, then exits: tests/run-all.sh starts it in the
# background at the lowest priority while CTest runs the suites before this lane, whose CTest
# entry then waits for it (a lock on the build dir) and finds the build up to date.
#
# Prints one line per part (build, unit, integration, security), then "sanitize: passed" or
# "sanitize: FAILED"; failures get indented detail lines: the failing tests, and the sanitizer
# reports trimmed to their frames, symbolized. Everything else is under <build dir>/logs:
# suites.txt (one line per suite), <suite>.tap, reports/<suite>/report.<pid>.
#
# How reports are caught. Every sanitized process writes its report to a file under
# <build dir>/logs/reports (log_path), never to stderr where a test expecting a failure would
# swallow it, and exits with status 86. A container's init runs corral's code from the clone
# to its execve, mostly after pivot_root, where no host path resolves: so the report directory
# is held open on fd 219 by this script, inherited by bats and corral, and log_path goes through
# /proc/self/fd/219. That magic link names the host directory from any mount namespace, as long
# as the process has a /proc (the container's own serves as well as the host's). The init marks
# the fd close-on-exec (close_range in container_init.cpp), so no container process sees it.
# Limits: the pid in a report file's name is the pid in the process's own pid namespace, so two
# reports of two containers' inits (both pid 1) land in the same file, the later one kept; a
# report from a container without /proc goes to stderr as "ERROR: Can't open file" (exit
# status 86 all the same); podman's conmon and containerd's shim close fd 219 and scrub the
# environment, so their runtime is a wrapper that sets both again; and a run with a scrubbed
# environment (rootless.bats calls corral through `env -i`) falls back to the sanitizers'
# defaults, reports on stderr. The TAP output of every suite is searched for reports too, which
# catches those of failing tests.
set -eu

BUILD_ONLY=0
if [ "${1:-}" = --build-only ]; then
	BUILD_ONLY=1
	shift
fi
if [ $# -ne 2 ]; then
	echo "usage: $0 [--build-only] <source dir> <build dir>" >&2
	exit 2
fi
SRC=$(cd "$1" && pwd)
mkdir -p "$2"
BUILD=$(cd "$2" && pwd)

# One lane at a time per build dir: a run waits here for a --build-only one (started by
# tests/run-all.sh beside the earlier suites) and then finds its build up to date.
exec 218>"$BUILD/.lane.lock"
flock 218
JOBS=${SANITIZE_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Every suite of tests/integration and tests/security, in SUITES (the lane fails on a suite that
# is not, so a new one gets its place). Seconds: a sanitized run of the suite alone on a quiet
# 2-core machine (plain ones take about 60 % of that; two side by side each take about twice
# as long, the lane being CPU-bound). Longest first, so that the workers finish together.
#   crash_recovery SIGKILLs the runtime on purpose: what a kill makes the leak checker write
#     about the killed process is told apart (set_aside_killed_reports below).
#   podman and containerd run the sanitized build through a wrapper (write_runtime_wrapper
#     below), never installed in place of /usr/local/bin/corral.
SUITES=(
	integration/crash_recovery.bats     # 225 s: SIGKILL of create, start, delete at random points
	integration/init.bats               # 128 s: corral's PID 1: reaping, signals, exit codes
	integration/stress.bats             # 125 s: 200 containers, 8 workers
	security/mount_destinations.bats    # 121 s: symlinked and /proc destinations
	integration/exec.bats               # 120 s: every exec flag, joining, terminals
	integration/audit.bats              # 113 s: the isolation audit and its report
	integration/podman.bats             # 84 s: podman (conmon) drives corral and runc
	security/fd_leaks.bats              # 78 s
	integration/state_corruption.bats   # 70 s: broken state files, stale locks, recycled pids
	integration/cli_errors.bats         # 60 s: every CLI error path
	integration/containerd.bats         # 50 s: containerd's runc shim drives corral and runc
	integration/cgroups.bats            # 50 s: v1 and v2 controllers, update, pause, OOM
	integration/terminal.bats           # 47 s: ptys, the console socket, the relay
	integration/lifecycle.bats          # 45 s: create start state kill delete list
	integration/namespaces.bats         # 40 s: new and joined namespaces
	integration/mounts.bats             # 36 s: the rootfs: mounts, propagation, paths
	integration/process.bats            # 33 s: the init's process setup: user, caps, rlimits
	integration/concurrency.bats        # 33 s: parallel verbs on one container
	integration/run.bats                # 32 s: foreground run, signals, exit codes
	integration/userns.bats             # 30 s: id maps, rootless-style mappings
	integration/errors.bats             # 25 s: failures at every stage of create, and teardown
	integration/hooks.bats              # 24 s: all six kinds, timeouts, failures
	security/fake_proc.bats             # 23 s
	security/dev_links.bats             # 21 s
	integration/rootless.bats           # 21 s
	integration/idmapped.bats           # 17 s: id-mapped mounts
	security/binary_overwrite.bats      # 17 s: the sealed image
	security/masked_paths.bats          # 17 s
	security/user_parsing.bats          # 15 s
	integration/devices.bats            # 14 s: device nodes and the devices cgroup
	integration/seccomp.bats            # 13 s: filter compilation, notify listener
	integration/spec.bats               # 12 s: corral spec, features, the config model
	security/capabilities.bats          # 10 s
	integration/lsm.bats                # 8 s: AppArmor refused here, SELinux refused
	security/cgroupfs.bats              # 6 s
)

# Suites whose runtime calls come from podman (through conmon) or containerd's shim, by
# CORRAL_RUNTIME_PATH: the lane fails one that made none (it would have run another build).
THROUGH_TOOLS=(
	integration/podman.bats
	integration/containerd.bats
)

if [ "$(id -u)" -ne 0 ] && [ "$BUILD_ONLY" -eq 0 ]; then
	echo "sanitize: skipped, needs root (the suites create real containers)"
	exit 77
fi

# The CMake tree is the build dir itself; what the lane writes besides goes to logs/.
TREE=$BUILD
LOGS=$BUILD/logs
REPORTS=$LOGS/reports
LOG_FD=219
# Exit status of a process that reported: a test that checks statuses sees an unusual one.
REPORT_STATUS=86
rm -rf "$LOGS"
mkdir -p "$REPORTS" "$LOGS/killed"
# Sanitized processes also run as other users (rootless.bats) and as mapped ids in user
# namespaces; they must be able to create their report here.
chmod 1777 "$REPORTS"

failed=0
fail_part() { failed=1; }
# detail LINE...: an indented line under the part's summary.
detail() { printf '    %s\n' "$@"; }
duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- toolchain ---------------------------------------------------------------

# clang-14, not g++: with g++ 12 the UBSan runtime is a library of its own (libubsan) that
# ignores log_path and always reports on stderr, where a test would swallow the report.
# clang links one runtime for both, and every report honours log_path.
CC=clang-14
CXX=clang++-14
probe_toolchain() {
	command -v "$CXX" >/dev/null 2>&1 || return 1
	printf 'int main() { return 0; }\n' >"$LOGS/probe.cpp"
	"$CXX" -fsanitize=address,undefined "$LOGS/probe.cpp" -o "$LOGS/probe" >"$LOGS/probe.log" 2>&1
}
if ! probe_toolchain; then
	echo "sanitize: $CXX or its sanitizer runtimes missing, installing clang-14 libclang-rt-14-dev"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "sanitize: FAILED: cannot install (no apt-get); install clang-14 libclang-rt-14-dev"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq clang-14 libclang-rt-14-dev >&2
	if ! probe_toolchain; then
		echo "sanitize: FAILED: $CXX still cannot link with -fsanitize=address,undefined:"
		sed 's/^/    /' "$LOGS/probe.log"
		exit 1
	fi
fi

# --- build -------------------------------------------------------------------

# RelWithDebInfo with its flags replaced (the project pins those of Release): -O1, as the
# sanitizers' documentation advises, compiles faster than -O2 and runs as fast here, where
# the sanitizer runtime's start and exit dominate (-O0 triples the binary and doubles that
# time); -g1, line tables only, so reports name file:line without the full debug info that
# create, run and exec copy into a sealed memfd on every start (runtime/sealed_self.hpp); no
# NDEBUG, so the libraries' own assertions (nlohmann::json's among them) are on. Not a PIE:
# ASan's metadata of every global made 140,000 relative relocations for the loader to apply
# (and pages to copy) in every process; without them a sanitized `run` takes 10 % less.
t0=$SECONDS
if ! cmake -S "$SRC" -B "$TREE" -DCORRAL_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
	-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -fno-pie" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -fno-pie" \
	-DCMAKE_POSITION_INDEPENDENT_CODE=OFF -DCMAKE_EXE_LINKER_FLAGS=-no-pie \
	>"$LOGS/configure.log" 2>&1; then
	echo "sanitize: build: configure FAILED, see $LOGS/configure.log"
	tail -n 20 "$LOGS/configure.log" | sed 's/^/    /'
	echo "sanitize: FAILED"
	exit 1
fi
if ! cmake --build "$TREE" -j"$JOBS" --target corral corral-unit corral-probe corral-recvtty \
	corral-seccomp-agent >"$LOGS/build.log" 2>&1; then
	echo "sanitize: build: FAILED, see $LOGS/build.log"
	grep -E 'error|Error' "$LOGS/build.log" | head -n 20 | sed 's/^/    /'
	echo "sanitize: FAILED"
	exit 1
fi
CORRAL_BIN=$TREE/corral
PREBUILT=$BUILD/prebuilt.txt
if [ "$BUILD_ONLY" -eq 1 ]; then
	echo "$(duration $((SECONDS - t0)))" >"$PREBUILT"
	echo "sanitize: build only: done in $TREE ($(duration $((SECONDS - t0))))"
	exit 0
fi
built="$(duration $((SECONDS - t0)))"
if [ -f "$PREBUILT" ]; then
	built="built beforehand in $(cat "$PREBUILT") by a --build-only run, up to date in $built"
	rm -f "$PREBUILT"
fi
echo "sanitize: build: corral and corral-unit with ASan+UBSan ($CXX) in $TREE ($built)"

# --- sanitizer options ---------------------------------------------------------

# The same common options (log_path, exitcode) go into both variables: in a combined
# ASan+UBSan runtime each one's parser may set them.
COMMON="log_path=/proc/self/fd/$LOG_FD/report:exitcode=$REPORT_STATUS:abort_on_error=0"
# The host's llvm-symbolizer for the processes that can reach it; inside a container the frames
# stay raw and symbolize() below resolves them.
SYMBOLIZER=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
[ -z "$SYMBOLIZER" ] || COMMON+=":external_symbolizer_path=$SYMBOLIZER"
export ASAN_OPTIONS="$COMMON:detect_leaks=1:detect_stack_use_after_return=1"
ASAN_OPTIONS+=":check_initialization_order=1:strict_init_order=1:strict_string_checks=1"
export UBSAN_OPTIONS="$COMMON:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="$COMMON"
eval "exec $LOG_FD<\"\$REPORTS\""

# What a report looks like, in a log file or in a test's output.
REPORT_RE='ERROR: (Address|Leak|Undefined|Memory)Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'
REPORT_RE+="|ERROR: Can't open file|Sanitizer has encountered a fatal error|Sanitizer CHECK failed"

# symbolize FILE: the report with the frames left raw resolved against the binaries on disk:
# "(/memfd:corral (deleted)+0xOFF)" from the sealed copy, and "(<path>/corral+0xOFF)" where
# the runtime could not start llvm-symbolizer (inside a container). One addr2line per binary.
FRAME_RE='\((/memfd:corral \(deleted\)|[^()]*/corral(-unit)?)\+(0x[0-9a-f]+)\)'
symbolize() {
	local line bin i
	local -a lines bins offs
	local -A sym
	mapfile -t lines <"$1"
	for line in "${lines[@]}"; do
		[[ "$line" =~ $FRAME_RE ]] || continue
		if [ -n "${BASH_REMATCH[2]}" ]; then bin=$TREE/tests/corral-unit; else bin=$CORRAL_BIN; fi
		bins+=("$bin")
		offs+=("${BASH_REMATCH[3]}")
	done
	for bin in "$CORRAL_BIN" "$TREE/tests/corral-unit"; do
		local -a want=() got=()
		for i in "${!offs[@]}"; do [ "${bins[i]}" != "$bin" ] || want+=("${offs[i]}"); done
		[ ${#want[@]} -gt 0 ] || continue
		mapfile -t got < <(addr2line -f -C -p -e "$bin" "${want[@]}" 2>/dev/null)
		for i in "${!want[@]}"; do sym[$bin:${want[i]}]=${got[i]:-?}; done
	done
	for line in "${lines[@]}"; do
		if [[ "$line" =~ $FRAME_RE ]]; then
			if [ -n "${BASH_REMATCH[2]}" ]; then bin=$TREE/tests/corral-unit; else bin=$CORRAL_BIN; fi
			line="${line%%0x*}${BASH_REMATCH[3]} in ${sym[$bin:${BASH_REMATCH[3]}]//"$SRC/"/}"
		fi
		printf '%s\n' "${line% (BuildId: *)}"
	done
}

# show_reports DIR: each report under DIR, trimmed to what names the bug.
show_reports() {
	local f n=0
	for f in "$1"/report.*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if [ "$n" -gt 5 ]; then
			detail "... more reports in $1"
			break
		fi
		if [ ! -s "$f" ]; then
			detail "report ${f#"$LOGS/"}: empty (opened for a report that was never written)"
			continue
		fi
		detail "report ${f#"$LOGS/"}:"
		grep -Eq "$REPORT_RE" "$f" || head -n 5 "$f" | sed 's/^/      /'
		symbolize "$f" | grep -E "$REPORT_RE|^ *#[0-9]+ |^(READ|WRITE) of|is located|allocated by|freed by|^Direct|^Indirect" |
			grep -vE '#[0-9]+ .* in (__libc_start|_start|__interceptor_|__asan_|__ubsan_)' |
			head -n 24 | sed 's/^ */      /'
	done
}

# take_reports NAME: moves the report files written so far to reports/NAME and prints how many.
take_reports() {
	local n
	n=$(find "$REPORTS" -maxdepth 1 -type f -name 'report.*' | wc -l)
	if [ "$n" -gt 0 ]; then
		mkdir -p "$REPORTS/$1"
		find "$REPORTS" -maxdepth 1 -type f -name 'report.*' -exec mv -t "$REPORTS/$1" {} +
	fi
	echo "$n"
}

# --- self-check ----------------------------------------------------------------

# The lane passes only when no report is found, so first prove a report is found: a program
# built with the same toolchain and options overflows a heap buffer, and its report must arrive
# through fd 219 with the report exit status, and match REPORT_RE.
printf '%s\n' '#include <cstdlib>' '#include <cstring>' \
	'int main(int argc, char**) { char* p = static_cast<char*>(malloc(8));' \
	'  memset(p, 0, 8 + argc); return p[0]; }' >"$LOGS/selfcheck.cpp"
rc=0
"$CXX" -fsanitize=address,undefined -O1 "$LOGS/selfcheck.cpp" -o "$LOGS/selfcheck" \
	>"$LOGS/selfcheck.log" 2>&1 && "$LOGS/selfcheck" >>"$LOGS/selfcheck.log" 2>&1 || rc=$?
mkdir -p "$LOGS/selfcheck.d"
find "$REPORTS" -maxdepth 1 -type f -name 'report.*' -exec mv -t "$LOGS/selfcheck.d" {} +
if [ "$rc" -ne "$REPORT_STATUS" ] ||
	! cat "$LOGS/selfcheck.d"/report.* 2>/dev/null | grep -q 'heap-buffer-overflow'; then
	echo "sanitize: self-check FAILED: a heap overflow gave status $rc and no report under $REPORTS"
	echo "sanitize: FAILED"
	exit 1
fi
echo "sanitize: self-check: a planted heap overflow was reported through fd $LOG_FD"

# --- unit --------------------------------------------------------------------

t0=$SECONDS
rc=0
(cd "$TREE/tests" && ./corral-unit) >"$LOGS/unit.log" 2>&1 || rc=$?
reports=$(take_reports unit)
cases=$(sed -n 's/.*test cases: *\([0-9]*\).*/\1/p' "$LOGS/unit.log" | tail -n 1)
if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ] || grep -Eq "$REPORT_RE" "$LOGS/unit.log"; then
	fail_part
	echo "sanitize: unit: FAILED (status $rc, $reports sanitizer reports, $(duration $((SECONDS - t0)))), see $LOGS/unit.log"
	grep -E '^\[doctest\] (test cases|assertions)|ERROR|runtime error' "$LOGS/unit.log" | head -n 10 |
		sed 's/^/    /'
	show_reports "$REPORTS/unit"
else
	echo "sanitize: unit: ${cases:-?} test cases passed, no sanitizer report ($(duration $((SECONDS - t0))))"
fi

# --- integration and security suites ------------------------------------------

# in_list SUITE LIST...: SUITE is one of LIST.
in_list() {
	local s=$1 x
	shift
	for x in "$@"; do [ "$x" != "$s" ] || return 0; done
	return 1
}
for s in "$SRC"/tests/integration/*.bats "$SRC"/tests/security/*.bats; do
	s=${s#"$SRC/tests/"}
	in_list "$s" "${SUITES[@]}" || {
		echo "sanitize: FAILED: tests/$s is not in SUITES of $0"
		exit 1
	}
done
case ${SANITIZE_SUITES:-} in
"" | all) ;;
*) read -ra SUITES <<<"$SANITIZE_SUITES" ;;
esac
for s in "${SUITES[@]}"; do
	[ -f "$SRC/tests/$s" ] || {
		echo "sanitize: FAILED: no suite tests/$s"
		exit 1
	}
done

export CORRAL=$CORRAL_BIN
export CORRAL_PROBE=$TREE/tests/corral-probe
export CORRAL_BUILD=$TREE
export CORRAL_RECVTTY=$TREE/tests/corral-recvtty

# Suites run SANITIZE_WORKERS at a time (default 2). Every test names its containers, cgroups
# and mounts with a prefix of its own, and the mount-table check leaves out other runs' temp
# dirs, so two suites do not see each other's. Measured: the sanitized suites are CPU-bound
# (each sanitized corral process costs about 0.2 s of CPU against 0.02 s plain), so two at a
# time finish in about the time of one after the other; the second worker only fills the
# suites' waits. Each suite gets its own report directory on fd 219, so a report is charged to
# the suite whose process wrote it, a late one (from a process that outlived its test)
# included.
WORKERS=${SANITIZE_WORKERS:-2}

# write_runtime_wrapper NAME: $LOGS/runtime/NAME/corral, the sanitized corral as podman (through
# conmon) and containerd's shim run it (CORRAL_RUNTIME_PATH in lib/podman and lib/containerd):
# those tools start the runtime with their own environment and close the fds they did not
# open, so the wrapper sets the sanitizer options and opens the suite's report directory on
# fd 219 itself. bash, not sh: dash takes single-digit fds only.
write_runtime_wrapper() {
	local dir=$LOGS/runtime/$1
	mkdir -p "$dir"
	{
		echo '#!/bin/bash'
		printf 'exec %d<%q\n' "$LOG_FD" "$REPORTS/$1"
		printf 'export ASAN_OPTIONS=%q UBSAN_OPTIONS=%q LSAN_OPTIONS=%q\n' \
			"$ASAN_OPTIONS" "$UBSAN_OPTIONS" "$LSAN_OPTIONS"
		# The calls, so that the lane can tell the suite really ran this build.
		printf 'printf "%%s\\n" "$*" >>%q\n' "$dir/calls"
		printf 'exec %q "$@"\n' "$CORRAL_BIN"
	} >"$dir/corral"
	chmod 755 "$dir/corral"
}

# start_suite SUITE: one bats process in the background, as CTest runs it; its status goes to
# <logs>/<name>.rc.
start_suite() {
	local s=$1 name
	name=${s%%/*}.$(basename "$s" .bats)
	mkdir -p "$REPORTS/$name"
	chmod 1777 "$REPORTS/$name"
	write_runtime_wrapper "$name"
	(
		export CORRAL_RUNTIME_PATH=$LOGS/runtime/$name/corral
		export CORRAL_KILLED_PIDS=$LOGS/killed/$name.pids
		# The lane's lock stays with the lane, not with the suite's processes.
		exec 218>&-
		eval "exec $LOG_FD<\"\$REPORTS/\$name\""
		ts=$SECONDS
		rc=0
		timeout -k 10 900 bats --tap "$SRC/tests/$s" >"$LOGS/$name.tap" 2>&1 || rc=$?
		echo "$rc $((SECONDS - ts))" >"$LOGS/$name.rc"
	) &
}

# run_pool: every suite of SUITES, WORKERS at a time, in the order listed (longest first packs
# best).
run_pool() {
	local s running=0
	for s in "${SUITES[@]}"; do
		if [ "$running" -ge "$WORKERS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		start_suite "$s"
		running=$((running + 1))
	done
	wait || true
}

# set_aside_killed_reports NAME: moves to reports/NAME/killed, and counts, the suite's report
# files that only say a process it SIGKILLed on purpose (crash_recovery.bats lists them in
# $CORRAL_KILLED_PIDS) died under the leak checker, and prints how many. A kill that lands
# during the leak check at exit leaves LSan's tracer (which writes to its parent's file,
# report.<killed pid>) unable to read the dead thread: it writes "==<tracer>==Unable to get
# registers from thread <killed pid>." and is itself killed by its PR_SET_PDEATHSIG, possibly
# before that line (an empty file). Any other line, a leak or an error included, counts, and so
# does a file of any other pid.
set_aside_killed_reports() {
	local name=$1 f pid line n=0 only
	local -A killed=()
	[ -s "$LOGS/killed/$name.pids" ] || {
		echo 0
		return
	}
	while read -r pid; do killed[$pid]=1; done <"$LOGS/killed/$name.pids"
	for f in "$REPORTS/$name"/report.*; do
		[ -f "$f" ] || continue
		pid=${f##*.}
		[ -n "${killed[$pid]:-}" ] || continue
		only=1
		while IFS= read -r line || [ -n "$line" ]; do
			[[ "$line" =~ ^==[0-9]+==Unable\ to\ get\ registers\ from\ thread\ ([0-9]+)\.$ ]] &&
				[ "${BASH_REMATCH[1]}" = "$pid" ] || only=0
		done <"$f"
		[ "$only" -eq 1 ] || continue
		mkdir -p "$REPORTS/$name/killed"
		mv "$f" "$REPORTS/$name/killed/"
		n=$((n + 1))
	done
	echo "$n"
}

# summarize KIND: one line for the suites of tests/KIND, indented details for the bad ones.
summarize() {
	local kind=$1 s name rc secs n_ok n_fail n_skip reports cut calls
	local total=0 skipped=0 bad=0 suites=0 nrep=0 lines=() names=() notes=()
	for s in "${SUITES[@]}"; do
		[ "${s%%/*}" = "$kind" ] || continue
		name=$kind.$(basename "$s" .bats)
		suites=$((suites + 1))
		names+=("$(basename "$s" .bats)")
		read -r rc secs <"$LOGS/$name.rc" || rc=255 secs=?
		n_ok=$(grep -c '^ok ' "$LOGS/$name.tap" || true)
		n_fail=$(grep -c '^not ok ' "$LOGS/$name.tap" || true)
		n_skip=$(grep -c '^ok .* # skip' "$LOGS/$name.tap" || true)
		total=$((total + n_ok + n_fail))
		skipped=$((skipped + n_skip))
		cut=$(set_aside_killed_reports "$name")
		reports=$(find "$REPORTS/$name" -maxdepth 1 -type f -name 'report.*' | wc -l)
		nrep=$((nrep + reports))
		calls=0
		[ ! -f "$LOGS/runtime/$name/calls" ] || calls=$(wc -l <"$LOGS/runtime/$name/calls")
		echo "$name: $n_ok ok ($n_skip skipped), $n_fail failed, status $rc, $reports reports" \
			"($cut of killed processes set aside), $calls runtime calls through" \
			"CORRAL_RUNTIME_PATH, $secs s" >>"$LOGS/suites.txt"
		[ "$cut" -eq 0 ] || notes+=("$name: $cut report files set aside: the leak checker lost a process the suite SIGKILLed (reports/$name/killed)")
		if in_list "$s" "${THROUGH_TOOLS[@]}" && [ "$calls" -eq 0 ] && [ "$n_skip" -lt "$n_ok" ]; then
			bad=$((bad + 1))
			lines+=("$name: no runtime call went through $LOGS/runtime/$name/corral: the suite did not run the sanitized build")
		fi
		if [ "$rc" -ne 0 ] || [ "$n_fail" -ne 0 ] || [ "$reports" -ne 0 ] ||
			grep -Eq "$REPORT_RE" "$LOGS/$name.tap"; then
			bad=$((bad + 1))
			lines+=("$name: $n_fail of $((n_ok + n_fail)) tests failed, status $rc, $reports sanitizer reports, see $LOGS/$name.tap")
			while IFS= read -r l; do lines+=("  $l"); done < <(grep '^not ok ' "$LOGS/$name.tap" | head -n 10)
			while IFS= read -r l; do lines+=("  in the output: $l"); done < <(grep -E "$REPORT_RE" "$LOGS/$name.tap" | head -n 5)
			[ "$reports" -eq 0 ] || while IFS= read -r l; do lines+=("${l#    }"); done < <(show_reports "$REPORTS/$name")
		fi
	done
	[ "$suites" -gt 0 ] || return 0
	if [ "$bad" -eq 0 ]; then
		echo "sanitize: $kind: $suites suites (${names[*]}), $total tests passed ($skipped skipped)," \
			"no sanitizer report"
		[ ${#notes[@]} -eq 0 ] || detail "${notes[@]}"
	else
		fail_part
		echo "sanitize: $kind: FAILED: $bad of $suites suites, $nrep sanitizer reports"
		detail "${lines[@]}" "${notes[@]}"
	fi
}

# The rule for report files of killed processes, checked on planted ones: the suite killed
# 4242, 4244 and 4246. Set aside: the empty file of 4242 and the tracer's line about 4246 in
# its file. Counted: the empty file of 4343 and the tracer's line in the file of 4248 (neither
# killed), and an error in the file of 4244.
P=$REPORTS/selfcheck.killed
mkdir -p "$P"
: >"$P/report.4242"
: >"$P/report.4343"
echo "==4242==ERROR: AddressSanitizer: planted" >"$P/report.4244"
echo "==4247==Unable to get registers from thread 4246." >"$P/report.4246"
echo "==4249==Unable to get registers from thread 4248." >"$P/report.4248"
printf '%s\n' 4242 4244 4246 >"$LOGS/killed/selfcheck.killed.pids"
cut=$(set_aside_killed_reports selfcheck.killed)
left=$(find "$P" -maxdepth 1 -type f -name 'report.*' | wc -l)
if [ "$cut" -ne 2 ] || [ "$left" -ne 3 ] || [ ! -e "$P/killed/report.4242" ] || [ ! -e "$P/killed/report.4246" ]; then
	echo "sanitize: self-check FAILED: report files of killed pids: $cut set aside, $left left"
	echo "sanitize: FAILED"
	exit 1
fi
mv "$P" "$LOGS/selfcheck.killed.d"
rm -f "$LOGS/killed/selfcheck.killed.pids"
echo "sanitize: self-check: only what the leak checker writes about a process a suite SIGKILLed is set aside"

t0=$SECONDS
run_pool
summarize integration
summarize security
echo "sanitize: suites: ${#SUITES[@]} in $(duration $((SECONDS - t0))), $WORKERS at a time"

# Reports on the lane's own fd 219, written by no suite's process.
late=$(take_reports late)
if [ "$late" -ne 0 ]; then
	fail_part
	echo "sanitize: $late sanitizer reports written after their suite ended:"
	show_reports "$REPORTS/late"
fi

if [ "$failed" -eq 0 ]; then
	echo "sanitize: passed"
else
	echo "sanitize: FAILED (logs and reports in $LOGS)"
	exit 1
fi
