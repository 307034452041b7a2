#!/usr/bin/env bash
# Exec benchmark: `exec` of /bin/true into a running container, corral vs runc vs crun.
# Not a test: it prints numbers and only fails if the benchmark itself cannot run.
# See bench/README.md for what is measured and how the pairings are chosen.
set -euo pipefail

usage() { echo "usage: $0 [--corral PATH] [--runs N]" >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
RUNS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --corral) [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --runs)   [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "exec.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need hyperfine:hyperfine

bench_find_corral

# --- scratch dir: bundle, per-runtime state roots, results. Removed on exit, after every
# container this script started has been deleted (by its id, with the runtime that made it).
TMP=$(mktemp -d /tmp/corral-bench-exec.XXXXXX)
started=()   # "id|wrap|runtime argv" of each container started
HF_PID=""
cleanup() {
  local s id wrap rt
  # an interrupted hyperfine first, so that no exec races the deletes
  if [ -n "$HF_PID" ]; then kill "$HF_PID" 2>/dev/null || true; wait "$HF_PID" 2>/dev/null || true; fi
  for s in "${started[@]}"; do
    IFS='|' read -r id wrap rt <<<"$s"
    sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- rootfs: busybox-static plus a symlink per applet; PID 1 sleeps, the exec'd process is
# /bin/true. All runtimes share this one bundle (the root is read-only).
BUNDLE=$TMP/bundle
bench_busybox_rootfs "$BUNDLE/rootfs"

# One config.json for every runtime: runc's default spec with PID 1 sleeping, no terminal,
# and ociVersion 1.0.2 (crun 1.8.1 refuses the 1.2.0 that `corral spec` writes).
(cd "$BUNDLE" && runc spec)
"$PY" -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["ociVersion"]="1.0.2"; c["process"]["args"]=["sleep","1000000"]; c["process"]["terminal"]=False; json.dump(c,open(p,"w"),indent=2)' "$BUNDLE/config.json"

# crun 1.8.1 refuses to create a container on this v1/v2 hybrid host; it does with its cgroup
# manager disabled inside a private mount namespace where cgroup2 is mounted over
# /sys/fs/cgroup (see startup.sh). Only the `run -d` needs that wrapper; exec with cgroups
# disabled joins no cgroup and works without it, so the timed exec is wrapper-free when the
# runtime allows (checked below, per runtime).
bench_cg2_wrapper

# --- the contestants: for each, start a container once, try one exec, keep the exec command.
# "default": each runtime's own cgroup handling on the host as it is (v1 here, v2 in the VM lane, where crun-cg joins); exec joins the
#            container's groups.
# "nocg":    cgroups disabled on both sides; the container made inside the wrapper above.
q() { printf '%q' "$1"; }
entries=() failed=()
add() {  # name mode create-wrap rt...
  local name=$1 mode=$2 cwrap=$3; shift 3
  local root="$TMP/root-$name" rt="" a id="bench-exec-$name-$$" xwrap=""
  mkdir -p "$root"
  for a in "$@"; do rt+="$(q "$a") "; done
  rt+="--root $(q "$root")"
  if ! (cd "$BUNDLE" && sh -c "$cwrap $rt run -d --bundle $(q "$BUNDLE") $id" \
        </dev/null >/dev/null 2>"$TMP/start.log"); then
    # a failed start may still have left state behind: delete it too
    started+=("$id|$cwrap|$rt")
    failed+=("$name ($mode): run -d fails: $(tail -n1 "$TMP/start.log")")
    return
  fi
  started+=("$id|$cwrap|$rt")
  # One exec outside hyperfine: a failing command would abort the whole run. Unwrapped
  # first; the wrapper only if that fails.
  if sh -c "$rt exec $id /bin/true" </dev/null >"$TMP/probe.log" 2>&1; then
    :
  elif [ -n "$cwrap" ] && sh -c "$cwrap $rt exec $id /bin/true" </dev/null >"$TMP/probe.log" 2>&1; then
    xwrap=$cwrap
  else
    failed+=("$name ($mode): exec fails: $(tail -n1 "$TMP/probe.log")")
    return
  fi
  entries+=("$name|$mode|$([ -n "$xwrap" ] && echo wrapped || echo plain)|$xwrap $rt exec $id /bin/true")
}

add runc default "" runc
# On a cgroup2-only host (the VM lane) crun runs with its own cgroups too.
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && add crun-cg default "" crun
add crun nocg "$WRAP" crun --cgroup-manager=disabled
for f in "${failed[@]}"; do echo "skip $f"; done   # the baselines should work
if [ -n "$CORRAL" ] && [ -x "$CORRAL" ]; then
  if ! "$CORRAL" exec --help >/dev/null 2>&1; then
    echo "skip corral: $CORRAL has no exec verb"
  else
    failed=()
    add corral default "" "$CORRAL"
    add corral-nocg nocg "$WRAP" "$CORRAL" --cgroup-manager=disabled
    for f in "${failed[@]}"; do echo "skip $f"; done
  fi
else
  echo "skip corral: no binary (tried --corral, $REPO/build/corral, /usr/local/bin/corral)"
fi
[ ${#entries[@]} -gt 0 ] || { echo "nothing runnable to benchmark" >&2; exit 1; }

# --- timing: all commands in one hyperfine run so they share machine state. The containers
# keep running throughout; every iteration is one exec of /bin/true into them.
hf=(hyperfine --warmup 5 --runs "$RUNS" --export-json "$TMP/hf.json")
for e in "${entries[@]}"; do
  IFS='|' read -r name _ _ cmd <<<"$e"
  hf+=(-n "$name" "$cmd")
done
# In the background and waited for, so that an INT or TERM is handled at once (bash defers a
# trap while a foreground child runs) and cleanup can stop it.
"${hf[@]}" </dev/null &
HF_PID=$!
wait "$HF_PID"
HF_PID=""
echo "(hyperfine's Summary mixes the two modes; the tables below compare like with like)"

# --- report: medians, and ratios only within a pairing, where both sides pay the same costs.
"$PY" - "$TMP" "${entries[@]}" <<'EOF'
import json, sys, os
tmp = sys.argv[1]
entries = [e.split("|")[:3] for e in sys.argv[2:]]
res = json.load(open(os.path.join(tmp, "hf.json")))["results"]
rows = {}
for (name, mode, how), r in zip(entries, res):
    rows[name] = dict(mode=mode, how=how, mean=r["mean"] * 1e3, sd=r["stddev"] * 1e3,
                      med=r["median"] * 1e3, min=r["min"] * 1e3)
sections = [("default", "runc", "default cgroups (each runtime's own manager)"),
            ("nocg", "crun", "cgroups disabled, container made in the unshare -m + cgroup2 wrapper")]
if "crun-cg" in rows:  # a cgroup2-only host: the default rows once more, against crun's own cgroups
    sections.append(("default", "crun-cg", "default cgroups (v2), against crun with its own manager"))
fmt = "  {:<12} {:>16} {:>9} {:>9} {:>12} {:>8}"
for mode, base, title in sections:
    names = [n for n, _, _ in entries if rows[n]["mode"] == mode]
    if not names:
        continue
    print(f"\n== {title} ==")
    print(fmt.format("runtime", "mean ± sd ms", "median", "min", "median vs " + base, "exec"))
    b = rows.get(base)
    for n in names:
        r = rows[n]
        ratio = f"{r['med'] / b['med']:.2f}x" if b else "-"
        print(fmt.format(n, f"{r['mean']:.2f} ± {r['sd']:.2f}", f"{r['med']:.2f}",
                         f"{r['min']:.2f}", ratio, r["how"]))
EOF
