#!/usr/bin/env bash
# Parallel start benchmark: N containers (`run` of /bin/true), JOBS at a time, per runtime;
# total wall time and the slowest single start. corral vs runc (default cgroups) and
# corral-nocg vs crun (cgroups disabled, in the cgroup2 wrapper). Not a test: it prints numbers
# and only fails if the benchmark itself cannot run. See bench/README.md.
set -euo pipefail

usage() {
  echo "usage: $0 [--corral PATH] [--containers N] [--jobs N] [--rounds N]" >&2
  echo "  env: PARALLEL_CONTAINERS (100), PARALLEL_JOBS (8), PARALLEL_ROUNDS (3)" >&2
  exit 2
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
N=${PARALLEL_CONTAINERS:-100}
JOBS=${PARALLEL_JOBS:-8}
ROUNDS=${PARALLEL_ROUNDS:-3}
while [ $# -gt 0 ]; do
  case "$1" in
    --corral)     [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --containers) [ $# -ge 2 ] || usage; N=$2; shift 2 ;;
    --jobs)       [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
    --rounds)     [ $# -ge 2 ] || usage; ROUNDS=$2; shift 2 ;;
    *) usage ;;
  esac
done
for v in "$N" "$JOBS" "$ROUNDS"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || usage; done
[ "$(id -u)" = 0 ] || { echo "parallel.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need

bench_start par

BUNDLE=$TMP/bundle
bench_corral_bundle "$BUNDLE" /bin/true
bench_contestants
bench_add_crun_cg

bench_probe_runs par-probe-$$
echo "$N containers per batch, $JOBS at a time, $ROUNDS rounds; every round runs one batch per runtime, in a rotated order"

# --- the driver: one thread pool of JOBS workers per batch; each worker runs `run` of its
# container and waits for it; a start is the wall time of that `run` (create, start, wait for
# /bin/true, delete). In the background and waited for, so an INT is handled at once.
"$PY" - "$BUNDLE" "$N" "$JOBS" "$ROUNDS" "$$" "$TMP/results.json" "${ENTRIES[@]}" <<'EOF' &
import json, os, shlex, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
bundle, n, jobs, rounds, tag, out = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
entries = [e.split("|", 3) for e in sys.argv[7:]]

def one(argv):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, cwd=bundle, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=120)
        err = p.stderr.decode(errors="replace").strip().splitlines()[-1:] if p.returncode else []
        ok = p.returncode == 0
    except subprocess.TimeoutExpired:
        ok, err = False, ["timed out after 120 s"]
    return time.perf_counter() - t0, ok, (err or [""])[0]

res = {name: {"mode": mode, "totals": [], "starts": [], "failed": 0, "error": ""}
       for name, mode, _, _ in entries}
for r in range(rounds):
    order = entries[r % len(entries):] + entries[:r % len(entries)]
    for name, mode, wrap, rt in order:
        base = shlex.split(wrap) + shlex.split(rt) + ["run", "--bundle", bundle]
        argvs = [base + [f"par-{name}-{tag}-{r}-{i}"] for i in range(n)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(one, argvs))
        total = time.perf_counter() - t0
        d = res[name]
        d["totals"].append(total)
        d["starts"] += [t for t, ok, _ in done if ok]
        bad = [e for _, ok, e in done if not ok]
        d["failed"] += len(bad)
        if bad and not d["error"]:
            d["error"] = bad[0]
        print(f"  round {r + 1}: {name:<12} {total:7.2f} s total, slowest {max(t for t, _, _ in done) * 1e3:7.1f} ms"
              + (f", {len(bad)} failed" if bad else ""), flush=True)
json.dump(res, open(out, "w"))
EOF
DRIVER=$!
wait "$DRIVER"
DRIVER=""

# --- report: a markdown table; ratios only within a pairing (matched modes).
"$PY" - "$TMP/results.json" "$N" "$JOBS" <<'EOF'
import json, statistics as st, sys
res = json.load(open(sys.argv[1])); n, jobs = sys.argv[2], sys.argv[3]
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
print(f"\n{n} containers, {jobs} at a time (`run` of /bin/true); medians over rounds; "
      "ratios against the baseline of the same mode\n")
print("| mode | runtime | total wall | vs base | median start | p95 start | slowest start | vs base | failed |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
pairings = [("default", "runc"), ("nocg", "crun")]
if "crun-cg" in res:  # a cgroup2-only host: the default rows once more, against crun's own cgroups
    pairings.append(("default", "crun-cg"))
for mode, base in pairings:
    names = [k for k, v in res.items() if v["mode"] == mode]
    names.sort(key=lambda k: k != base)
    for k in names:
        v = res[k]
        tot = st.median(v["totals"])
        slow = max(v["starts"]) * 1e3 if v["starts"] else float("nan")
        b = res.get(base)
        rt = f"{tot / st.median(b['totals']):.2f}x" if b else "-"
        rs = f"{slow / (max(b['starts']) * 1e3):.2f}x" if b and b["starts"] and v["starts"] else "-"
        label = {"default": "default cgroups", "nocg": "cgroups disabled"}[mode]
        label += f" (vs {base})" if base == "crun-cg" else ""
        print(f"| {label} | {k} | {tot:.2f} s | {rt} | {st.median(v['starts']) * 1e3:.1f} ms "
              f"| {pct(v['starts'], 0.95) * 1e3:.1f} ms | {slow:.1f} ms | {rs} | {v['failed']} |")
for k, v in res.items():
    if v["failed"]:
        print(f"\n{k}: {v['failed']} runs failed; first error: {v['error']}")
EOF
echo "host after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
