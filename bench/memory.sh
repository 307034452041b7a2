#!/usr/bin/env bash
# Memory benchmark: peak RSS of the runtime process (`run` and `create`), the container's PID 1
# at the end of setup (after `create`, before `start`), and the smallest memory limit at which
# `run` of /bin/true still succeeds (bisection). corral vs runc (default cgroups) and
# corral-nocg vs crun (cgroups disabled, in the cgroup2 wrapper). Not a test: it prints numbers
# and only fails if the benchmark itself cannot run. See bench/README.md.
set -euo pipefail

usage() {
  echo "usage: $0 [--corral PATH] [--runs N] [--confirm N] [--no-limit | --limit-only]" >&2
  echo "         [--limit-runtimes 'NAME...']   bisect only these (runc corral crun)" >&2
  echo "  env: MEMORY_RUNS (5), MEMORY_CONFIRM (3)" >&2
  exit 2
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
RUNS=${MEMORY_RUNS:-5}
CONFIRM=${MEMORY_CONFIRM:-3}
DO_RSS=1 DO_LIMIT=1
LIMIT_RUNTIMES=""
while [ $# -gt 0 ]; do
  case "$1" in
    --corral)     [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --runs)       [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    --confirm)    [ $# -ge 2 ] || usage; CONFIRM=$2; shift 2 ;;
    --no-limit)   DO_LIMIT=0; shift ;;
    --limit-only) DO_RSS=0; shift ;;
    --limit-runtimes) [ $# -ge 2 ] || usage; LIMIT_RUNTIMES=" $2 "; shift 2 ;;
    *) usage ;;
  esac
done
for v in "$RUNS" "$CONFIRM"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || usage; done
[ "$(id -u)" = 0 ] || { echo "memory.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need /usr/bin/time:time

TAG=membench$$
bench_start mem

BUNDLE=$TMP/bundle
bench_corral_bundle "$BUNDLE" /bin/true
bench_contestants
UNIFIED=0
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && UNIFIED=1

bench_probe_runs "$TAG-probe"

field() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }   # field NAME /proc/PID/status -> kB

# --- peak RSS. GNU time right around the runtime binary (inside the wrapper): %M is the max
# RSS of the runtime process and of every child it waited for. For `run` that includes the
# container's init and /bin/true; for `create` only the runtime and its own helpers (runc's
# `runc init` bootstrap stages), not the init, which outlives it. PID 1 at the end of setup:
# VmHWM/VmRSS/RssAnon from /proc/PID/status after `create` returned (the init waits on the exec
# fifo, every mount, namespace and credential done) and before `start` execs the command.
if [ "$DO_RSS" = 1 ]; then
  for e in "${ENTRIES[@]}"; do
    IFS='|' read -r name mode wrap rt <<<"$e"
    out=$TMP/rss-$name
    for i in $(seq "$RUNS"); do
      sh -c "$wrap /usr/bin/time -a -f %M -o $out.run $rt run --bundle $BUNDLE $TAG-r-$name-$i" \
        </dev/null >/dev/null 2>&1 || true
      id=$TAG-c-$name-$i
      rm -f "$TMP/pid"
      if sh -c "$wrap /usr/bin/time -a -f %M -o $out.create $rt create --pid-file $TMP/pid --bundle $BUNDLE $id" \
           </dev/null >/dev/null 2>&1 && [ -s "$TMP/pid" ]; then
        pid=$(cat "$TMP/pid")
        cp "/proc/$pid/status" "$TMP/status" 2>/dev/null && {
          echo "$(field VmHWM "$TMP/status") $(field VmRSS "$TMP/status") $(field RssAnon "$TMP/status") $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-40)" >>"$out.pid1"
        }
      fi
      sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
    done
  done
  "$PY" - "$TMP" "${ENTRIES[@]}" <<'EOF'
import os, statistics as st, sys
tmp = sys.argv[1]
entries = [e.split("|", 3)[:2] for e in sys.argv[2:]]
def nums(path):
    try:
        return [int(x) for x in open(path).read().split() if x.isdigit()]
    except OSError:
        return []
print("\nPeak RSS in KiB, median over runs; ratios against the baseline of the same mode\n")
print("| mode | runtime | `run` %M | vs base | `create` %M | vs base | PID 1 VmHWM | vs base | PID 1 VmRSS | PID 1 RssAnon | PID 1 cmdline |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
rows = {}
for name, mode in entries:
    p = os.path.join(tmp, "rss-" + name)
    pid1 = []
    try:
        pid1 = [l.split(None, 3) for l in open(p + ".pid1").read().splitlines()]
    except OSError:
        pass
    med = lambda xs: st.median(xs) if xs else None
    rows[name] = dict(mode=mode, run=med(nums(p + ".run")), create=med(nums(p + ".create")),
                      hwm=med([int(x[0]) for x in pid1 if x[0].isdigit()]),
                      rss=med([int(x[1]) for x in pid1 if len(x) > 1 and x[1].isdigit()]),
                      anon=med([int(x[2]) for x in pid1 if len(x) > 2 and x[2].isdigit()]),
                      cmd=(pid1[-1][3].strip() if pid1 and len(pid1[-1]) > 3 else "?"))
fmt = lambda v: "?" if v is None else f"{v:.0f}"
for mode, base in (("default", "runc"), ("nocg", "crun")):
    for k in sorted((k for k, v in rows.items() if v["mode"] == mode), key=lambda k: k != base):
        r, b = rows[k], rows.get(base)
        ratio = lambda f: f"{r[f] / b[f]:.2f}x" if b and r[f] and b[f] else "-"
        label = {"default": "default cgroups", "nocg": "cgroups disabled"}[mode]
        print(f"| {label} | {k} | {fmt(r['run'])} | {ratio('run')} | {fmt(r['create'])} | {ratio('create')} "
              f"| {fmt(r['hwm'])} | {ratio('hwm')} | {fmt(r['rss'])} | {fmt(r['anon'])} | `{r['cmd']}` |")
EOF
fi

# --- smallest memory limit: linux.resources.memory.limit (memory.limit_in_bytes on v1,
# memory.max on v2) bisected in 4 KiB pages between 4 KiB and 256 MiB; a limit passes when CONFIRM
# `run`s of /bin/true in a row exit 0 (each within 60 s). Only for contestants that enforce limits: the
# default-cgroups ones, plus crun when the host is cgroup2-only.
if [ "$DO_LIMIT" = 1 ]; then
  lim_entries=()
  for e in "${ENTRIES[@]}"; do
    IFS='|' read -r name mode wrap rt <<<"$e"
    [ "$mode" = default ] && lim_entries+=("$e")
  done
  if [ "$UNIFIED" = 1 ]; then
    mkdir -p "$TMP/root-crun-cg"
    lim_entries+=("crun|default||crun --root $TMP/root-crun-cg")
    CONTESTANTS+=("crun-cg|default||crun --root $TMP/root-crun-cg")   # for the cleanup
  fi
  echo
  echo 'Smallest memory limit for `run` of /bin/true: bisection in 4 KiB pages between 4 KiB and 256 MiB,'
  echo "where a limit passes when $CONFIRM runs in a row exit 0 (near the threshold a run fails or not by"
  echo "chance); the result and one page below are then rerun $((2 * CONFIRM)) times"
  echo
  echo "| runtime | cgroups | smallest limit that works | at it: ok/runs | one page less: ok/runs | probes |"
  echo "| --- | --- | --- | --- | --- | --- |"
  SEQ=0
  try_limit() {  # try_limit BYTES wrap rt -> status of one run under that limit
    local b=$TMP/lim-$1 id
    SEQ=$((SEQ + 1))
    id=$TAG-l-$SEQ
    if [ ! -f "$b/config.json" ]; then
      mkdir -p "$b"
      "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["root"]["path"]=sys.argv[2]; c.setdefault("linux",{}).setdefault("resources",{})["memory"]={"limit":int(sys.argv[3])}; json.dump(c,open(sys.argv[4],"w"))' \
        "$BUNDLE/config.json" "$BUNDLE/rootfs" "$1" "$b/config.json"
    fi
    local rc=0
    sh -c "$2 timeout -k 5 60 $3 run --bundle $b $id" </dev/null >/dev/null 2>&1 || rc=$?
    sh -c "$2 $3 delete -f $id" >/dev/null 2>&1 || true
    return $rc
  }
  passes() {  # passes BYTES wrap rt: CONFIRM runs in a row succeed (stops at the first failure)
    local i
    for i in $(seq "$CONFIRM"); do try_limit "$1" "$2" "$3" || return 1; done
  }
  count_ok() {  # count_ok BYTES wrap rt -> "ok/2*CONFIRM"
    local n=0 i
    for i in $(seq $((2 * CONFIRM))); do try_limit "$1" "$2" "$3" && n=$((n + 1)); done
    echo "$n/$((2 * CONFIRM))"
  }
  kib() { echo "$(($1 / 1024)) KiB ($(awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }') MiB)"; }
  for e in "${lim_entries[@]}"; do
    IFS='|' read -r name mode wrap rt <<<"$e"
    # Under TCG a runtime bisected below what it needs can thrash in reclaim long enough to
    # soft-lock the guest (runc's did), so the VM lane picks its runtimes.
    if [ -n "$LIMIT_RUNTIMES" ] && [[ "$LIMIT_RUNTIMES" != *" $name "* ]]; then
      echo "| $name | - | not bisected in this run (--limit-runtimes) | - | - | - |"
      continue
    fi
    cgv=$([ "$UNIFIED" = 1 ] && echo "v2 memory.max" || echo "v1 memory.limit_in_bytes")
    P=4096 lo=0 hi=$((65536 * 4096)) probes=0
    if ! passes "$hi" "$wrap" "$rt"; then
      echo "| $name | $cgv | fails even at 256 MiB | - | - | 1 |"
      continue
    fi
    while [ $((hi - lo)) -gt "$P" ]; do
      mid=$(((lo + hi) / 2 / P * P))
      probes=$((probes + 1))
      if passes "$mid" "$wrap" "$rt"; then hi=$mid; else lo=$mid; fi
    done
    at=$(count_ok "$hi" "$wrap" "$rt")
    below="-"
    [ "$lo" -gt 0 ] && below=$(count_ok "$lo" "$wrap" "$rt")
    echo "| $name | $cgv | $(kib "$hi") | $at | $below | $probes |"
  done
  if [ "$UNIFIED" = 0 ]; then
    echo "| crun | - | not measurable here: on this v1/v2 hybrid host crun runs only with --cgroup-manager=disabled, so it cannot enforce a limit (crun documents 512 KiB); corral-nocg likewise | - | - | - |"
  fi
fi
echo
echo "host after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
