#!/bin/bash
# libFuzzer targets for the parsers that read untrusted input: builds each
# with clang-14 + ASan/UBSan, replays the saved reproducers in crashes/, then
# fuzzes each for a bounded time from its seed corpus.
#
#   tests/fuzz/run.sh [--build-only] <source dir> <build dir>
#
# FUZZ_SECONDS (default 20) is the fuzzing time per target; FUZZ_JOBS
# (default: number of CPUs) how many targets build and run at once.
# One line per target, then "fuzz: N passed, M failed"; exits non-zero on any
# crash, leak, timeout or sanitizer report and names the reproducer.
# --build-only builds the targets and exits: tests/run-all.sh starts it in the
# background at the lowest priority while CTest runs the suites before this
# entry, which then waits for it (a lock on the build dir) and finds the
# targets up to date.
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
# One build at a time per build dir: a run waits here for a --build-only one.
exec 9>"$BUILD/.build.lock"
flock 9
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
HERE=$SRC/tests/fuzz
CXX=clang++-14
# -fno-omit-frame-pointer only makes the stacks in reports complete.
# shellcheck disable=SC2054 # the commas belong to -fsanitize
CXXFLAGS=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined "-I$SRC/src" "-DCORRAL_SOURCE_DIR=\"$SRC\"")

# The parts of corral the targets exercise, built into one archive: each
# target then pulls in only the objects it references, so moving a helper
# between files here needs no change to this script. Only the seccomp
# translation needs a library (libseccomp), linked into every target since
# the archive keeps the others from pulling it in.
LIB_GLOBS=(common/*.cpp spec/*.cpp ns/mount_options.cpp runtime/sync.cpp runtime/state.cpp cgroups/*.cpp
    cgroups/v1/*.cpp cgroups/v2/*.cpp
    seccomp/*.cpp)
TARGETS=(fuzz_config fuzz_mount_options fuzz_signals fuzz_ids fuzz_sync fuzz_state fuzz_seccomp)

# Per-target libFuzzer options. fuzz_sync may grow past the largest legal
# datagram (12-byte header + 60 KiB) so both sides of the limit are reached.
declare -A EXTRA=(
    [fuzz_config]="-dict=$HERE/fuzz_config.dict"
    [fuzz_mount_options]="-dict=$HERE/fuzz_mount_options.dict"
    [fuzz_state]="-dict=$HERE/fuzz_state.dict"
    [fuzz_sync]="-max_len=61460"
)

# --- toolchain ---------------------------------------------------------------

# A real link of a fuzzer proves both the compiler and the libFuzzer/ASan
# runtimes (libclang-rt-14-dev) are there; clang alone is not enough.
probe_toolchain() {
    command -v "$CXX" >/dev/null 2>&1 || return 1
    printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
        'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' \
        >"$BUILD/probe.cpp"
    "$CXX" "${CXXFLAGS[@]}" "$BUILD/probe.cpp" -o "$BUILD/probe" >"$BUILD/probe.log" 2>&1
}

if ! probe_toolchain; then
    echo "fuzz: $CXX or the libFuzzer runtime is missing, installing clang-14 libclang-rt-14-dev"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "fuzz: cannot install (needs root and apt-get); install clang-14 libclang-rt-14-dev" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq clang-14 libclang-rt-14-dev >&2
    if ! probe_toolchain; then
        echo "fuzz: $CXX still cannot build a fuzzer:" >&2
        cat "$BUILD/probe.log" >&2
        exit 1
    fi
fi

# --- build -------------------------------------------------------------------

OBJ=$BUILD/obj
BIN=$BUILD/bin
mkdir -p "$OBJ" "$BIN" "$BUILD/logs"

# True when $1 is missing or older than any file its depfile $2 lists, or
# than this script (which holds the flags).
stale() {
    local out=$1 dep=$2 f
    [ -e "$out" ] && [ -e "$dep" ] || return 0
    [ "$0" -nt "$out" ] && return 0
    # shellcheck disable=SC2013 # a depfile is a list of words, not lines
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
        [ -e "$f" ] || return 0
        [ "$f" -nt "$out" ] && return 0
    done
    return 1
}

# compile <source> <object>: one object per source, shared between targets,
# with a depfile so a header edit rebuilds what includes it.
compile() {
    local src=$1 obj=$2
    if stale "$obj" "$obj.d"; then
        "$CXX" "${CXXFLAGS[@]}" -MMD -MF "$obj.d" -c "$src" -o "$obj" >"$obj.log" 2>&1 || {
            echo "fuzz: compiling $src failed:" >&2
            cat "$obj.log" >&2
            return 1
        }
    fi
}

# Runs "$@" in the background, at most $JOBS at once; failures are counted
# in $POOL_FAILED when the pool is drained.
POOL_FAILED=0
pool_run() {
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || POOL_FAILED=$((POOL_FAILED + 1))
    done
    "$@" &
}
pool_drain() {
    local pid
    for pid in $(jobs -p); do
        wait "$pid" || POOL_FAILED=$((POOL_FAILED + 1))
    done
}

LIB_UNITS=()
for g in "${LIB_GLOBS[@]}"; do
    for u in "$SRC"/src/$g; do
        [ -e "$u" ] && LIB_UNITS+=("$u")
    done
done

# Units that include nlohmann/json (directly or via the parser's detail
# header) take most of the build, up to ~35 s each with sanitizers; starting
# them first keeps one of them from running alone at the end.
HEAVY=()
LIGHT=()
for u in "${LIB_UNITS[@]}" "${TARGETS[@]/#/$HERE/}"; do
    u=${u%.cpp}.cpp
    if grep -Eq 'nlohmann/json|parse_detail\.hpp' "$u"; then HEAVY+=("$u"); else LIGHT+=("$u"); fi
done
obj_of() {
    local rel=${1#"$SRC/"}
    echo "$OBJ/${rel//\//_}.o"
}
for u in "${HEAVY[@]}" "${LIGHT[@]}"; do
    pool_run compile "$u" "$(obj_of "$u")"
done
pool_drain
if [ "$POOL_FAILED" -ne 0 ]; then
    echo "fuzz: build failed"
    exit 1
fi

# Recreated rather than updated, so objects of deleted sources drop out.
LIB=$OBJ/libcorral-fuzz.a
LIB_OBJS=()
for u in "${LIB_UNITS[@]}"; do LIB_OBJS+=("$(obj_of "$u")"); done
newer() {
    local out=$1 f
    shift
    [ -e "$out" ] || return 0
    for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
    return 1
}
if newer "$LIB" "${LIB_OBJS[@]}" || [ "$(ar t "$LIB" | wc -l)" -ne "${#LIB_OBJS[@]}" ]; then
    rm -f "$LIB"
    ar rcs "$LIB" "${LIB_OBJS[@]}"
fi

for t in "${TARGETS[@]}"; do
    obj=$(obj_of "$HERE/$t.cpp")
    if newer "$BIN/$t" "$obj" "$LIB"; then
        "$CXX" "${CXXFLAGS[@]}" "$obj" "$LIB" -lseccomp -o "$BIN/$t" >"$BUILD/logs/$t.link.log" 2>&1 || {
            echo "fuzz: linking $t failed:" >&2
            cat "$BUILD/logs/$t.link.log" >&2
            exit 1
        }
    fi
done

if [ "$BUILD_ONLY" -eq 1 ]; then
    echo "fuzz: build only: ${#TARGETS[@]} targets up to date in $BIN"
    exit 0
fi

# --- run ---------------------------------------------------------------------

# Saved reproducers: every target replays all of them, so a fixed bug stays
# fixed and an input found by one target also probes the others.
REPRO=()
if [ -d "$HERE/crashes" ]; then
    while IFS= read -r -d '' f; do REPRO+=("$f"); done \
        < <(find "$HERE/crashes" -maxdepth 1 -type f -print0 | sort -z)
fi

# A report is a failure even when the exit status would not say so.
REPORT_RE='ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|ERROR: libFuzzer|SUMMARY: (Address|Leak|Undefined)Sanitizer'

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The lines of a failing run worth reading first: the report itself and the
# frames in corral's code or the fuzz target.
EXCERPT_RE='invariant failed|runtime error:|ERROR: |SUMMARY: |^ *#[0-9]+ .* in corral::'
EXCERPT_RE+='|^ *#[0-9]+ .* in LLVMFuzzerTestOneInput|out-of-memory|Timeout'
excerpt() {
    grep -E "$EXCERPT_RE" "$1" | head -n 20 | sed 's/^ */    /'
}

# fuzz_one <target>: writes "<summary line>" (plus indented detail lines on
# failure) to $BUILD/results/<target> and fails when the target did.
fuzz_one() {
    local t=$1
    local bin=$BIN/$t corpus=$BUILD/corpus/$t art=$BUILD/artifacts/$t/
    local log=$BUILD/logs/$t.log rlog=$BUILD/logs/$t.regress.log out=$BUILD/results/$t
    local crashes=0 detail="" runs rc
    # Seeds are copied in, never used in place, so the run does not write
    # into the source tree; what the fuzzer adds accumulates across runs.
    mkdir -p "$corpus" "$art"
    cp -R "$HERE/corpus/$t/." "$corpus/"
    rm -f "$art"*

    # One process per reproducer, so every failing one is listed, not just
    # the first.
    local f
    : >"$rlog"
    for f in "${REPRO[@]}"; do
        rc=0
        "$bin" -rss_limit_mb=2048 -timeout=10 "$f" >"$rlog.one" 2>&1 || rc=$?
        cat "$rlog.one" >>"$rlog"
        if [ "$rc" -ne 0 ] || grep -Eq "$REPORT_RE" "$rlog.one"; then
            crashes=$((crashes + 1))
            detail+="  regression input fails: $f"$'\n'
            detail+=$(excerpt "$rlog.one")$'\n'
        fi
    done
    rm -f "$rlog.one"

    rc=0
    # shellcheck disable=SC2086 # EXTRA holds several words on purpose
    "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$art" ${EXTRA[$t]:-} "$corpus" >"$log" 2>&1 ||
        rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$runs" ]; then
        runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
    fi
    if [ "$rc" -ne 0 ] || grep -Eq "$REPORT_RE" "$log"; then
        crashes=$((crashes + 1))
        local unit
        unit=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
        detail+="  reproducer: ${unit:-none written, see $log}"$'\n'
        detail+="  log: $log"$'\n'
        detail+=$(excerpt "$log")$'\n'
    fi

    {
        echo "$t: ${runs:-0} runs, $crashes crashes"
        [ -z "$detail" ] || printf '%s' "$detail"
    } >"$out"
    [ "$crashes" -eq 0 ]
}

mkdir -p "$BUILD/results"
for t in "${TARGETS[@]}"; do
    rm -f "$BUILD/results/$t"
    pool_run fuzz_one "$t"
done
# Failures are read back from the result files, not from the pool.
pool_drain

passed=0
failed=0
for t in "${TARGETS[@]}"; do
    if [ -s "$BUILD/results/$t" ]; then
        cat "$BUILD/results/$t"
    else
        echo "$t: did not run"
    fi
    if grep -q '^[^ ]*: [0-9]* runs, 0 crashes$' "$BUILD/results/$t" 2>/dev/null; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: replay one input with $BIN/<target> <file>; keep a reproducer as" \
        "tests/fuzz/crashes/<target>-<what>"
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
