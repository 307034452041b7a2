#!/usr/bin/env bash
# shellcheck disable=SC2046 # $(run_flags INIT) is --init or nothing: split on purpose
# init-compare.sh: the PID 1 scenarios of tests/integration/init.bats, run against corral's own
# init (`corral run --init`), tini (Debian's tini-static) and catatonit, each as PID 1 of a
# container that corral runs. Prints one table: scenario x init -> result.
# Not a test: nothing here passes or fails on the results; it fails only when it cannot run.
# See bench/README.md.
set -euo pipefail

usage() {
	echo "usage: $0 [--corral PATH] [--probe PATH] [--orphans N] [--rounds N] [--jobs N]" >&2
	exit 2
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=''
PROBE=''
ORPHANS=10000
ROUNDS=10
JOBS=4
while [ $# -gt 0 ]; do
	case $1 in
	--corral) [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
	--probe) [ $# -ge 2 ] || usage; PROBE=$2; shift 2 ;;
	--orphans) [ $# -ge 2 ] || usage; ORPHANS=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || usage; ROUNDS=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ "$ORPHANS" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$JOBS" =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "init-compare.sh: must run as root (containers need it)" >&2; exit 1; }

die() { echo "init-compare.sh: $*" >&2; exit 1; }

# --- tools: install only what is missing, so repeat runs stay offline.
PY=/usr/bin/python3
need=()
[ -x /usr/bin/tini-static ] || need+=(tini)
command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
[ -x "$PY" ] || need+=(python3)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
. "$REPO/bench/lib.sh"
bench_install "${need[@]}"
TINI=/usr/bin/tini-static
CATATONIT=$(dpkg -L catatonit 2>/dev/null | grep -m1 '/catatonit$' || true)
[ -n "$CATATONIT" ] && [ -x "$CATATONIT" ] || CATATONIT=$(command -v catatonit || true)
[ -x "$TINI" ] || die "no $TINI (apt-get install tini)"
[ -n "$CATATONIT" ] || die "no catatonit binary (apt-get install catatonit)"
# Both run inside a busybox rootfs without libc: they must be static.
for b in "$TINI" "$CATATONIT"; do
	! ldd "$b" >/dev/null 2>&1 || die "$b is dynamically linked; it cannot run in the busybox rootfs"
done

if [ -z "$CORRAL" ]; then
	for c in "$REPO/build/corral" /usr/local/bin/corral; do [ -x "$c" ] && { CORRAL=$c; break; }; done
fi
[ -n "$CORRAL" ] && [ -x "$CORRAL" ] || die "no corral binary (--corral PATH)"
if [ -z "$PROBE" ]; then
	for p in "$(dirname "$CORRAL")/tests/corral-probe" "$REPO/build/tests/corral-probe"; do
		[ -f "$p" ] && { PROBE=$p; break; }
	done
fi
[ -n "$PROBE" ] && [ -f "$PROBE" ] || die "no corral-probe (--probe PATH; built with the tests)"
"$PROBE" help | grep -q orphans || die "$PROBE has no orphans command: rebuild corral-probe"

# --- scratch dir, state root, cleanup of every container by id.
TMP=$(mktemp -d /tmp/corral-initcmp.XXXXXX)
ROOT=$TMP/state
IDS=$TMP/ids
: >"$IDS"
cleanup() {
	local id
	while read -r id; do
		"$CORRAL" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done <"$IDS"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

C() { timeout -k 5 60 "$CORRAL" --root "$ROOT" "$@"; }
# next_id NAME: sets ID to a new container id (never in a subshell: the counter must stick),
# recorded for cleanup.
SEQ=0
next_id() {
	SEQ=$((SEQ + 1))
	ID="initcmp-$$-$1-$SEQ"
	echo "$ID" >>"$IDS"
}

# --- one rootfs for everything: the tests' busybox tree, with mount points for the inits.
"$REPO/tests/integration/make-rootfs.sh" "$TMP/rootfs" "$PROBE" >/dev/null
touch "$TMP/rootfs/sbin/tini" "$TMP/rootfs/sbin/catatonit"
SHARED=$TMP/shared
mkdir -p "$SHARED"
mkdir -p "$TMP/rootfs/shared"
"$CORRAL" spec -b "$TMP" >/dev/null
mv "$TMP/config.json" "$TMP/base.json"

INITS=(corral tini catatonit)

# bundle INIT ARGS...: a new bundle for ARGS under INIT, printed as its directory. corral's
# init is asked for with --init (see run_flags); the others are args[0], bound read-only.
# bundle_many INIT DIR < "SUFFIX<TAB>ARG<TAB>ARG..." lines: one bundle DIR/SUFFIX per line, in
# one python run (hundreds of bundles would otherwise take a python start-up each).
BUNDLE_PY='
import json, os, sys
base, root, shared, tini, cata, init, out, *args = sys.argv[1:]
with open(base) as f:
    c = json.load(f)
c["root"]["path"] = root
c["process"]["terminal"] = False
prefix = {"corral": [], "tini": ["/sbin/tini", "--"], "catatonit": ["/sbin/catatonit", "--"]}[init]
m = c.setdefault("mounts", [])
m.append({"destination": "/shared", "type": "bind", "source": shared, "options": ["rbind", "rw"]})
m.append({"destination": "/sbin/tini", "type": "bind", "source": tini, "options": ["bind", "ro"]})
m.append({"destination": "/sbin/catatonit", "type": "bind", "source": cata, "options": ["bind", "ro"]})
jobs = [(out, args)] if args else [
    (os.path.join(out, l.split("\t")[0]), l.split("\t")[1:]) for l in sys.stdin.read().splitlines() if l]
for d, a in jobs:
    os.makedirs(d, exist_ok=True)
    c["process"]["args"] = prefix + a
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f)
'
bundle() {
	local init=$1 dir
	shift
	dir=$(mktemp -d "$TMP/b.XXXXXX")
	"$PY" -S -c "$BUNDLE_PY" "$TMP/base.json" "$TMP/rootfs" "$SHARED" "$TINI" "$CATATONIT" "$init" "$dir" "$@"
	echo "$dir"
}
bundle_many() {
	"$PY" -S -c "$BUNDLE_PY" "$TMP/base.json" "$TMP/rootfs" "$SHARED" "$TINI" "$CATATONIT" "$1" "$2"
}
# run_flags INIT: the flag that asks corral for its init: "--init" or nothing, left unquoted at
# every use on purpose.
run_flags() { if [ "$1" = corral ]; then echo --init; fi; }

state_pid() { C state "$1" | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["pid"])'; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
alive() { # alive PID STARTTIME
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	local -a f
	read -ra f <<<"${s##*) }"
	[ "${f[19]}" = "$2" ] && [ "${f[0]}" != Z ]
}
starttime() { local s; read -r s <"/proc/$1/stat"; local -a f; read -ra f <<<"${s##*) }"; echo "${f[19]}"; }
proc_state() { local s; read -r s <"/proc/$1/stat" || return 1; s=${s##*) }; echo "${s%% *}"; }
wait_line() { # wait_line FILE REGEX [TRIES]: grep -E, 0.05 s apart
	local n=${3:-100}
	while ((n-- > 0)); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
# host_pid_of PID1 NSPID: the host pid of the process in PID1's pid namespace whose pid there
# is NSPID (the last field of its NSpid line).
host_pid_of() {
	local p ns
	ns=$(readlink "/proc/$1/ns/pid")
	for p in $(grep -lE "^NSpid:.*[[:space:]]$2\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3); do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] && { echo "$p"; return 0; }
	done
	return 1
}
stop() { C kill "$1" KILL >/dev/null 2>&1 || true; C delete -f "$1" >/dev/null 2>&1 || true; }

declare -A RESULT
SCENARIOS=()
record() { # record SCENARIO INIT TEXT
	local s=$1
	[[ " ${SCENARIOS[*]} " == *" $s "* ]] || SCENARIOS+=("$s")
	RESULT[$s,$2]=$3
	printf '  %-28s %-10s %s\n' "$s" "$2" "$3"
}

# ---- scenarios --------------------------------------------------------------------------------

# An orphan burst: N orphans of the namespace exit at once; zombies left 1 s after the release.
sc_orphans() {
	local init=$1 id b out n
	next_id orphans; id=$ID
	b=$(bundle "$init" sh -c "probe orphans $ORPHANS && exec probe sleep 1000")
	out=$TMP/$id.out
	C run -d $(run_flags "$init") -b "$b" "$id" </dev/null >"$out" 2>&1 || { record orphans "$init" "run failed"; return; }
	if ! wait_line "$out" "^orphans=$ORPHANS\$" 1200; then
		record "orphans" "$init" "no release: $(tail -1 "$out")"
		stop "$id"
		return
	fi
	sleep 1
	n=$(C exec "$id" probe zombies-count | sed -n 's/^zombies=//p')
	record "zombies 1s after $ORPHANS" "$init" "zombies=${n:-?}"
	stop "$id"
}

# PID 1's resident memory while the command sleeps.
sc_rss() {
	local init=$1 id b pid
	next_id rss; id=$ID
	b=$(bundle "$init" probe sleep 1000)
	C run -d $(run_flags "$init") -b "$b" "$id" </dev/null >/dev/null 2>&1 || { record "PID 1 VmRSS idle" "$init" "run failed"; return; }
	sleep 0.3
	pid=$(state_pid "$id")
	record "PID 1 VmRSS idle" "$init" "$(grep '^VmRSS' "/proc/$pid/status" | awk '{print $2 " " $3}')"
	stop "$id"
}

# Signals 1-64 (not 9, 19, 32, 33) sent to PID 1 with corral kill: how many reach the command
# (probe trap --keep); and whether TSTP/TTIN/TTOU stopped PID 1.
sc_signals() {
	local init=$1 id b out pid n got=0 missing=() total=0 st
	next_id signals; id=$ID
	b=$(bundle "$init" probe trap --keep)
	out=$TMP/$id.out
	C run -d $(run_flags "$init") -b "$b" "$id" </dev/null >"$out" 2>&1 || { record "signals 1-64 forwarded" "$init" "run failed"; return; }
	wait_line "$out" '^ready$' || { record "signals 1-64 forwarded" "$init" "not ready"; stop "$id"; return; }
	pid=$(state_pid "$id")
	for ((n = 1; n <= 64; n++)); do
		case $n in 9 | 19 | 32 | 33) continue ;; esac
		total=$((total + 1))
		C kill "$id" "$n" >/dev/null 2>&1 || true
	done
	sleep 1
	for ((n = 1; n <= 64; n++)); do
		case $n in 9 | 19 | 32 | 33) continue ;; esac
		if grep -qx "signal=$n" "$out"; then got=$((got + 1)); else missing+=("$n"); fi
	done
	local miss=''
	[ ${#missing[@]} -eq 0 ] || miss=" (missing: $(
		IFS=,
		echo "${missing[*]}"
	))"
	record "signals 1-64 forwarded" "$init" "$got/$total$miss"
	st=$(proc_state "$pid")
	record "PID 1 after TSTP/TTIN/TTOU" "$init" "state $st$([ "$st" = T ] && echo ' (stopped)' || true)"
	stop "$id"
}

# run_many NAME INIT < "SUFFIX<TAB>ARG..." lines: `run` of each (bundle_many), JOBS at a time;
# the exit status of SUFFIX in $TMP/NAME-INIT/SUFFIX/rc.
run_many() {
	local name=$1 init=$2 running=0 line suffix id dir=$TMP/$1-$2
	local -a lines
	mapfile -t lines
	printf '%s\n' "${lines[@]}" | bundle_many "$init" "$dir"
	for line in "${lines[@]}"; do
		suffix=${line%%$'\t'*}
		next_id "$name-$suffix"; id=$ID
		(
			rc=0
			C run $(run_flags "$init") -b "$dir/$suffix" "$id" </dev/null >/dev/null 2>"$dir/$suffix/err" || rc=$?
			echo "$rc" >"$dir/$suffix/rc"
		) &
		if ((++running >= JOBS)); then
			wait -n || true
			running=$((running - 1))
		fi
	done
	wait
}
rc_of() { local v=none; [ -f "$TMP/$1/$2/rc" ] && read -r v <"$TMP/$1/$2/rc"; echo "$v"; }

# Exit codes 0-255 of the command, and 128+N for a command killed by signal N (every N whose
# default action kills: not 17-23 or 28).
sc_exit_codes() {
	local init=$1 n ok=0 bad=() rc
	run_many exit "$init" < <(for ((n = 0; n <= 255; n++)); do printf 'e%d\tprobe\texit\t%d\n' "$n" "$n"; done)
	for ((n = 0; n <= 255; n++)); do
		rc=$(rc_of "exit-$init" "e$n")
		if [ "$rc" = "$n" ]; then ok=$((ok + 1)); else bad+=("$n->$rc"); fi
	done
	record "exit codes 0-255" "$init" "$ok/256$([ ${#bad[@]} -eq 0 ] || echo " (${bad[*]:0:6})")"

	run_many sig "$init" < <(for ((n = 1; n <= 64; n++)); do
		case $n in 17 | 18 | 19 | 20 | 21 | 22 | 23 | 28) continue ;; esac
		printf 's%d\tprobe\tkill-self\t%d\n' "$n" "$n"
	done)
	ok=0 bad=()
	local total=0
	for ((n = 1; n <= 64; n++)); do
		[ -d "$TMP/sig-$init/s$n" ] || continue
		total=$((total + 1))
		rc=$(rc_of "sig-$init" "s$n")
		if [ "$rc" = $((128 + n)) ]; then ok=$((ok + 1)); else bad+=("$n->$rc"); fi
	done
	record "killed by N -> 128+N" "$init" "$ok/$total$([ ${#bad[@]} -eq 0 ] || echo " (${bad[*]:0:6})")"
}

# A background worker whose TERM handler takes 1 s: the command dies of TERM; is the worker's
# marker there when `run` returns, and how long did the stop take.
sc_term_worker() {
	local init=$1 id b out marker t0 rc=0 ms pid
	next_id worker; id=$ID
	marker=$SHARED/$id.marker
	b=$(bundle "$init" sh -c "probe term-worker 1 /shared/$id.marker & exec probe sleep 1000")
	out=$TMP/$id.out
	C run $(run_flags "$init") -b "$b" "$id" </dev/null >"$out" 2>&1 &
	local run_pid=$!
	if ! wait_line "$out" '^ready$'; then
		record "1s TERM worker cleanup" "$init" "not ready"
		stop "$id"
		wait "$run_pid" || true
		return
	fi
	t0=$(now_ms)
	C kill "$id" TERM >/dev/null 2>&1 || true
	wait "$run_pid" || rc=$?
	ms=$(($(now_ms) - t0))
	record "1s TERM worker cleanup" "$init" "$([ -f "$marker" ] && echo "done" || echo "lost"), exit $rc, ${ms} ms"
}

# A setsid'd process that handles TERM (1 s cleanup): after the command dies of TERM, is it
# gone with the container, and did it get to clean up (a TERM) or was it killed outright.
sc_setsid() {
	local init=$1 id b out marker nspid pid1 pid1_st host st t0 ms
	next_id setsid; id=$ID
	marker=$SHARED/$id.marker
	b=$(bundle "$init" sh -c "setsid probe term-worker 1 /shared/$id.marker & probe setsid-sleeper 1000 && exec probe sleep 1000")
	out=$TMP/$id.out
	C run -d $(run_flags "$init") -b "$b" "$id" </dev/null >"$out" 2>&1 || { record "setsid'd survivor" "$init" "run failed"; return; }
	if ! wait_line "$out" '^sleeper=' || ! wait_line "$out" '^ready$'; then
		record "setsid'd survivor" "$init" "not ready"
		stop "$id"
		return
	fi
	pid1=$(state_pid "$id")
	pid1_st=$(starttime "$pid1")
	nspid=$(sed -n 's/^sleeper=//p' "$out")
	host=$(host_pid_of "$pid1" "$nspid") || { record "setsid'd survivor" "$init" "sleeper not found"; stop "$id"; return; }
	st=$(starttime "$host")
	t0=$(now_ms)
	C kill "$id" TERM >/dev/null 2>&1 || true
	local n=200
	while ((n-- > 0)) && alive "$pid1" "$pid1_st"; do sleep 0.05; done
	ms=$(($(now_ms) - t0))
	local gone=gone
	alive "$host" "$st" && gone="SURVIVED"
	record "setsid'd survivor" "$init" "$gone after ${ms} ms; setsid'd TERM cleanup $([ -f "$marker" ] && echo "done" || echo "lost")"
	stop "$id"
}

# A signal sent to PID 1 right after `start` returns (kill(2) on its pid, no runtime start-up
# in between): in how many of ROUNDS rounds is it lost (the container keeps running)?
sc_early_signal() {
	local init=$1 r id b pid st lost=0 n
	b=$(bundle "$init" probe trap)
	for ((r = 0; r < ROUNDS; r++)); do
		next_id early; id=$ID
		C create $(run_flags "$init") --pid-file "$TMP/$id.pid" -b "$b" "$id" </dev/null >/dev/null 2>&1 || continue
		pid=$(cat "$TMP/$id.pid")
		st=$(starttime "$pid")
		C start "$id"
		kill -USR1 "$pid" 2>/dev/null || true
		n=60
		while ((n-- > 0)) && alive "$pid" "$st"; do sleep 0.05; done
		alive "$pid" "$st" && lost=$((lost + 1))
		stop "$id"
	done
	record "USR1 right after start" "$init" "lost $lost/$ROUNDS"
}

echo "corral:    $CORRAL"
echo "tini:      $TINI ($("$TINI" --version 2>&1 | head -1))"
echo "catatonit: $CATATONIT ($("$CATATONIT" -V 2>&1 | head -1))"
START=$SECONDS
for init in "${INITS[@]}"; do
	echo "== $init"
	sc_rss "$init"
	sc_orphans "$init"
	sc_signals "$init"
	sc_exit_codes "$init"
	sc_term_worker "$init"
	sc_setsid "$init"
	sc_early_signal "$init"
done

echo
W=10
for k in "${!RESULT[@]}"; do ((${#RESULT[$k]} > W)) && W=${#RESULT[$k]}; done
printf '%-28s' scenario
for init in "${INITS[@]}"; do printf ' | %-*s' "$W" "$init"; done
echo
printf -- '-%.0s' $(seq 1 $((28 + (W + 3) * ${#INITS[@]})))
echo
for s in "${SCENARIOS[@]}"; do
	printf '%-28s' "$s"
	for init in "${INITS[@]}"; do printf ' | %-*s' "$W" "${RESULT[$s,$init]:-n/a}"; done
	echo
done
echo
echo "($((SECONDS - START)) s)"
