#!/usr/bin/env bash
# Startup benchmark: `run` of /bin/true in one bundle, corral vs runc vs crun.
# Not a test: it prints numbers and only fails if the benchmark itself cannot run.
# See bench/README.md for what is measured and why there are two pairings.
set -euo pipefail

usage() { echo "usage: $0 [--corral PATH] [--runs N]" >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
RUNS=30
RSS_RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --corral) [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --runs)   [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "startup.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need hyperfine:hyperfine /usr/bin/time:time

bench_find_corral

# --- scratch dir: bundle, per-runtime state roots, results. Removed on exit.
TMP=$(mktemp -d /tmp/corral-bench.XXXXXX)
cleanup() {
  # `run` deletes its container at exit; this only matters after an interrupt,
  # where a half-run container could pin a v1 cgroup.
  local rt=runc root=$TMP/root-runc id
  for rt in runc "${CORRAL:-}"; do
    root=$TMP/root-$([ "$rt" = runc ] && echo runc || echo corral)
    if [ -z "$rt" ] || [ ! -d "$root" ]; then continue; fi
    for id in $("$rt" --root "$root" list -q 2>/dev/null); do
      "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- rootfs: prefer the integration tests' builder so both use the same tree.
BUNDLE=$TMP/bundle
mkdir -p "$BUNDLE"
MKROOTFS=$REPO/tests/integration/make-rootfs.sh
if [ -x "$MKROOTFS" ] && "$MKROOTFS" "$BUNDLE/rootfs" >/dev/null 2>&1 \
   && [ -e "$BUNDLE/rootfs/bin/true" ]; then
  :
else
  rm -rf "$BUNDLE/rootfs"
  bench_busybox_rootfs "$BUNDLE/rootfs"
fi

# One config.json for every runtime: runc's default spec, only args/terminal changed.
(cd "$BUNDLE" && runc spec)
"$PY" -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["process"]["args"]=["/bin/true"]; c["process"]["terminal"]=False; json.dump(c,open(p,"w"),indent=2)' "$BUNDLE/config.json"

# crun needs a wrapper on this hybrid host (bench/lib.sh).
bench_cg2_wrapper

# --- the contestants: name|mode|wrapper|runtime argv (global flags included).
# "default": each runtime's own cgroup handling on the host as it is (v1).
# "nocg":    cgroups disabled + the wrapper above, identical on both sides.
q() { printf '%q' "$1"; }
entries=() failed=()
add() {  # name mode wrap rt...
  local name=$1 mode=$2 wrap=$3; shift 3
  local root="$TMP/root-$name" rt="" a
  mkdir -p "$root"
  for a in "$@"; do rt+="$(q "$a") "; done
  rt+="--root $(q "$root") run ${RUN_EXTRA:-}--bundle $(q "$BUNDLE")"
  # probe once outside hyperfine: a failing command would abort the whole run
  if (cd "$BUNDLE" && sh -c "$wrap $rt probe-$name") >"$TMP/probe.log" 2>&1; then
    entries+=("$name|$mode|$wrap|$rt")
  else
    failed+=("$name ($mode): $(tail -n1 "$TMP/probe.log")")
  fi
}

add runc default "" runc
# On a cgroup2-only host (the VM lane) crun runs with its own cgroups too: the third runtime of
# the default pairing.
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && add crun-cg default "" crun
add crun nocg "$WRAP" crun --cgroup-manager=disabled
for f in "${failed[@]}"; do echo "skip $f"; done   # the baselines must work
if [ -n "$CORRAL" ] && [ -x "$CORRAL" ]; then
  failed=()
  add corral default "" "$CORRAL"
  add corral-nocg nocg "$WRAP" "$CORRAL" --cgroup-manager=disabled
  # --init: corral's PID 1 in front of /bin/true; its cost over a plain run.
  RUN_EXTRA="--init " add corral-init default "" "$CORRAL"
  if [ ${#failed[@]} -ge 2 ]; then   # not runnable yet: one line, not two
    echo "skip corral: $CORRAL run fails: ${failed[0]#*: }"
  else
    for f in "${failed[@]}"; do echo "skip $f"; done
  fi
else
  echo "skip corral: no binary (tried --corral, $REPO/build/corral, /usr/local/bin/corral)"
fi
[ ${#entries[@]} -gt 0 ] || { echo "nothing runnable to benchmark" >&2; exit 1; }

# --- timing: all commands in one hyperfine run so they share machine state.
# Ids carry the invoking shell's pid ($$ expanded by hyperfine's sh), so every
# iteration gets a fresh id; `run` deletes the container when it exits.
hf=(hyperfine --warmup 3 --runs "$RUNS" --export-json "$TMP/hf.json")
for e in "${entries[@]}"; do
  IFS='|' read -r name mode wrap rt <<<"$e"
  hf+=(-n "$name" "$wrap $rt $name-\$\$")
done
(cd "$BUNDLE" && "${hf[@]}")
echo "(hyperfine's Summary mixes the two modes; the tables below compare like with like)"

# --- the nocg pair once more, every run inside one wrapper namespace: the wrapper's own cost
# (two execs, a mount, the copy of the mount table) is then in no row, only the runtimes' work.
ns_entries=()
hf_ns=(hyperfine --warmup 3 --runs "$RUNS" --export-json "$TMP/hf-ns.json")
for e in "${entries[@]}"; do
  IFS='|' read -r name mode wrap rt <<<"$e"
  [ "$mode" = nocg ] || continue
  ns_entries+=("$name-ns|nocg-ns||$rt")
  hf_ns+=(-n "$name-ns" "$rt $name-ns-\$\$")
done
if [ ${#ns_entries[@]} -gt 0 ]; then
  # shellcheck disable=SC2086 # WRAP is a command prefix
  (cd "$BUNDLE" && $WRAP "${hf_ns[@]}")
else
  echo '{"results": []}' >"$TMP/hf-ns.json"
fi

# --- peak RSS: GNU time right around the runtime binary (inside the wrapper),
# so unshare/sh are not counted. %M is the max RSS in KiB of the runtime and
# the children it waited for (its init stage, /bin/true); max over a few runs.
for e in "${entries[@]}"; do
  IFS='|' read -r name mode wrap rt <<<"$e"
  for i in $(seq "$RSS_RUNS"); do
    (cd "$BUNDLE" && sh -c "$wrap /usr/bin/time -a -f %M -o $TMP/rss-$name $rt rss-$name-$i") \
      >/dev/null 2>&1 || true
  done
done

# --- report: ratios only within a pairing, where both sides pay the same costs.
"$PY" - "$TMP" "${entries[@]}" "${ns_entries[@]}" <<'EOF'
import json, sys, os
tmp = sys.argv[1]
entries = [e.split("|")[:2] for e in sys.argv[2:]]
res = (json.load(open(os.path.join(tmp, "hf.json")))["results"] +
       json.load(open(os.path.join(tmp, "hf-ns.json")))["results"])
rows = {}
for (name, mode), r in zip(entries, res):
    try:
        rss = max(int(x) for x in open(os.path.join(tmp, "rss-" + name.removesuffix("-ns"))).read().split()
                  if x.isdigit())
    except (OSError, ValueError):
        rss = None
    rows[name] = dict(mode=mode, mean=r["mean"] * 1e3, sd=r["stddev"] * 1e3,
                      med=r["median"] * 1e3, rss=rss)
v2 = "crun-cg" in rows
sections = [("default", "runc",
             "default cgroups (each runtime's own manager, " + ("cgroup v2" if v2 else "v1") + ")"),
            ("nocg", "crun", "cgroups disabled, in unshare -m + cgroup2 wrapper"),
            ("nocg-ns", "crun-ns", "cgroups disabled, every run inside one such namespace (no wrapper per run)")]
fmt = "  {:<12} {:>16} {:>9} {:>9} {:>9} {:>10}"
for mode, base, title in sections:
    names = [n for n, _ in entries if rows[n]["mode"] == mode]
    if not names:
        continue
    print(f"\n== {title} ==")
    second = "crun-cg" if mode == "default" and v2 else None
    print(fmt.format("runtime", "mean ± sd ms", "median", "vs " + base,
                     "vs crun" if second else "", "peak RSS"))
    b = rows.get(base)
    c = rows.get(second) if second else None
    for n in names:
        r = rows[n]
        ratio = f"{r['mean'] / b['mean']:.2f}x" if b else "-"
        ratio2 = f"{r['mean'] / c['mean']:.2f}x" if c else ""
        rss = f"{r['rss']} KiB" if r["rss"] else "?"
        print(fmt.format(n, f"{r['mean']:.2f} ± {r['sd']:.2f}", f"{r['med']:.2f}", ratio, ratio2,
                         rss))
EOF
