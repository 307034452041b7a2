#!/usr/bin/env bash
# Lifecycle benchmark: `create`, `start` and `delete -f` of a /bin/true container, each step
# timed, corral vs runc (default cgroups) and corral-nocg vs crun (cgroups disabled, create in
# the cgroup2 wrapper). Not a test: it prints numbers and only fails if the benchmark itself
# cannot run. See bench/README.md.
set -euo pipefail

usage() {
  echo "usage: $0 [--corral PATH] [--runs N]    (env: CYCLE_RUNS, default 30)" >&2
  exit 2
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
RUNS=${CYCLE_RUNS:-30}
while [ $# -gt 0 ]; do
  case "$1" in
    --corral) [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --runs)   [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "cycle.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need

bench_start cycle

BUNDLE=$TMP/bundle
bench_corral_bundle "$BUNDLE" /bin/true
bench_contestants
bench_add_crun_cg

# --- probe: one full cycle per contestant. `create` goes through the wrapper where the
# contestant has one (crun cannot create here without it); `start` and `delete` run plainly when
# that works, as exec.sh does, else wrapped; the table says which.
ENTRIES=()
for e in "${CONTESTANTS[@]}"; do
  IFS='|' read -r name mode wrap rt <<<"$e"
  id=cycle-probe-$name-$$
  if ! sh -c "$wrap $rt create --bundle $BUNDLE $id" </dev/null >/dev/null 2>"$TMP/probe.log"; then
    sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
    echo "skip $name ($mode): create fails: $(tail -n1 "$TMP/probe.log")"
    continue
  fi
  how=plain
  if ! sh -c "$rt start $id" </dev/null >/dev/null 2>"$TMP/probe.log"; then
    sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
    how=wrapped
    if ! sh -c "$wrap $rt create --bundle $BUNDLE $id && $wrap $rt start $id" \
         </dev/null >/dev/null 2>"$TMP/probe.log"; then
      sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
      echo "skip $name ($mode): start fails: $(tail -n1 "$TMP/probe.log")"
      continue
    fi
  fi
  if ! sh -c "$rt delete -f $id" </dev/null >/dev/null 2>"$TMP/probe.log"; then
    how=wrapped
    sh -c "$wrap $rt delete -f $id" </dev/null >/dev/null 2>"$TMP/probe.log" ||
      { echo "skip $name ($mode): delete fails: $(tail -n1 "$TMP/probe.log")"; continue; }
  fi
  ENTRIES+=("$name|$mode|$wrap|$rt|$how")
done
bench_probe_done
echo "$RUNS cycles per runtime, interleaved (one cycle of each runtime in turn, rotated order)"

# --- the driver: each step is one runtime process, timed from spawn to exit.
"$PY" - "$BUNDLE" "$RUNS" "$$" "$WRAP" "$TMP/results.json" "${ENTRIES[@]}" <<'EOF' &
import json, shlex, subprocess, sys, time
bundle, runs, tag, wrap_cmd, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
entries = [e.split("|", 4) for e in sys.argv[6:]]

# stderr to a file, not a pipe: the init of a created container inherits it and keeps it open.
errlog = open(out + ".err", "w+")
def timed(argv):
    errlog.seek(0); errlog.truncate()
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=bundle, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=errlog, timeout=120)
    t = (time.perf_counter() - t0) * 1e3
    if p.returncode:
        errlog.seek(0)
        raise SystemExit(f"{shlex.join(argv)}: exit {p.returncode}: {errlog.read().strip()}")
    return t

res = {name: {"mode": mode, "how": how, "create": [], "start": [], "delete": [], "total": []}
       for name, mode, _, _, how in entries}
res["wrapper"] = {"alone": []}
for i in range(runs):
    order = entries[i % len(entries):] + entries[:i % len(entries)]
    for name, mode, wrap, rt, how in order:
        w, r = shlex.split(wrap), shlex.split(rt)
        sw = w if how == "wrapped" else []
        cid = f"cycle-{name}-{tag}-{i}"
        c = timed(w + r + ["create", "--bundle", bundle, cid])
        s = timed(sw + r + ["start", cid])
        d = timed(sw + r + ["delete", "-f", cid])
        for k, v in (("create", c), ("start", s), ("delete", d), ("total", c + s + d)):
            res[name][k].append(v)
    res["wrapper"]["alone"].append(timed(shlex.split(wrap_cmd) + ["true"]))
json.dump(res, open(out, "w"))
EOF
DRIVER=$!
wait "$DRIVER"
DRIVER=""

"$PY" - "$TMP/results.json" <<'EOF'
import json, statistics as st, sys
res = json.load(open(sys.argv[1]))
wrap = st.median(res.pop("wrapper")["alone"])
print("\ncreate + start + delete -f of /bin/true; medians in ms; ratio of the total against the "
      "baseline of the same mode\n")
print("| mode | runtime | create | start | delete -f | total | vs base | start/delete |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
pairings = [("default", "runc"), ("nocg", "crun")]
if "crun-cg" in res:  # a cgroup2-only host: the default rows once more, against crun's own cgroups
    pairings.append(("default", "crun-cg"))
for mode, base in pairings:
    names = sorted((k for k, v in res.items() if v["mode"] == mode), key=lambda k: k != base)
    for k in names:
        v = res[k]
        m = {s: st.median(v[s]) for s in ("create", "start", "delete", "total")}
        b = res.get(base)
        ratio = f"{m['total'] / st.median(b['total']):.2f}x" if b else "-"
        label = {"default": "default cgroups", "nocg": "cgroups disabled, create wrapped"}[mode]
        label += f" (vs {base})" if base == "crun-cg" else ""
        print(f"| {label} | {k} | {m['create']:.2f} | {m['start']:.2f} | {m['delete']:.2f} "
              f"| {m['total']:.2f} | {ratio} | {v['how']} |")
print(f"\nThe cgroup2 wrapper alone (`unshare -m` + mount + exec of true): {wrap:.2f} ms median; it "
      "is part of every create in the cgroups-disabled rows.")
EOF
echo "host after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
