#!/usr/bin/env bash
# Profile of one `run` of /bin/true: `perf stat` of the whole run (the runtime and every process
# it starts) for corral, runc, corral-nocg and crun, and `valgrind --tool=callgrind` of the corral
# process of one `create` of it (instructions executed in user space, top 15 functions by
# inclusive Ir; `create` because Debian 12's valgrind 3.19 lacks pidfd_open, see below).
# Not a test: it prints numbers and only fails if the benchmark itself cannot run.
# See bench/README.md.
set -euo pipefail

usage() {
  echo "usage: $0 [--corral PATH] [--runs N] [--top N]   (env: PROFILE_RUNS (20), PROFILE_TOP (15))" >&2
  exit 2
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=""
RUNS=${PROFILE_RUNS:-20}
TOP=${PROFILE_TOP:-15}
while [ $# -gt 0 ]; do
  case "$1" in
    --corral) [ $# -ge 2 ] || usage; CORRAL=$2; shift 2 ;;
    --runs)   [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    --top)    [ $# -ge 2 ] || usage; TOP=$2; shift 2 ;;
    *) usage ;;
  esac
done
for v in "$RUNS" "$TOP"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || usage; done
[ "$(id -u)" = 0 ] || { echo "profile.sh: must run as root (containers need it)" >&2; exit 1; }

. "$REPO/bench/lib.sh"
bench_need perf:linux-perf valgrind:valgrind

TAG=profbench$$
bench_start prof

BUNDLE=$TMP/bundle
bench_corral_bundle "$BUNDLE" /bin/true
bench_contestants

bench_probe_runs "$TAG-probe"

# --- perf stat. Hardware counters are used when the machine has them; a VM often does not
# (perf prints "<not supported>"), and then only software events are counted.
EVENTS=duration_time,task-clock,context-switches,cpu-migrations,page-faults
HW=no
if perf stat -x, -e instructions,cycles -o "$TMP/hw" true 2>/dev/null &&
   ! grep -q 'not supported\|not counted' "$TMP/hw"; then
  EVENTS=$EVENTS,instructions,cycles
  HW=yes
fi
# perf inside the wrapper (as GNU time in startup.sh), so that unshare and the mount are not
# counted; it follows every child: the runtime's init stages, the container, /bin/true. `run`
# deletes the container at exit, so the -r repetitions can reuse one id.
for e in "${ENTRIES[@]}"; do
  IFS='|' read -r name mode wrap rt <<<"$e"
  sh -c "$wrap perf stat -x, -o $TMP/perf-$name -r $RUNS -e $EVENTS -- $rt run --bundle $BUNDLE $TAG-p-$name" \
    </dev/null >/dev/null 2>"$TMP/perf.log" || { echo "perf stat of $name failed: $(tail -n1 "$TMP/perf.log")"; rm -f "$TMP/perf-$name"; }
done
"$PY" - "$TMP" "$RUNS" "$HW" "${ENTRIES[@]}" <<'EOF'
import os, sys
tmp, runs, hw = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
entries = [e.split("|", 3)[:2] for e in sys.argv[4:]]
rows = {}
for name, mode in entries:
    p = os.path.join(tmp, "perf-" + name)
    if not os.path.exists(p):
        continue
    ev = {}
    for line in open(p):
        f = line.strip().split(",")
        if len(f) < 3 or line.startswith("#"):
            continue
        try:
            ev[f[2]] = (float(f[0]), f[3] if len(f) > 3 else "")
        except ValueError:
            ev[f[2]] = (None, f[0])
    rows[name] = dict(mode=mode, ev=ev)
cols = [("duration_time", "wall ms", 1e-6), ("task-clock", "CPU ms (task-clock)", 1),
        ("context-switches", "ctx switches", 1), ("cpu-migrations", "migrations", 1),
        ("page-faults", "page faults", 1)]
if hw:
    cols += [("instructions", "instructions", 1), ("cycles", "cycles", 1)]
print(f"\nperf stat -r {runs} of one `run` of /bin/true (every process of the run); means, "
      "± perf's variance; ratio of CPU ms against the baseline of the same mode\n")
print("| mode | runtime | " + " | ".join(c[1] for c in cols) + " | CPU vs base |")
print("| --- | --- | " + " | ".join("---" for _ in cols) + " | --- |")
for mode, base in (("default", "runc"), ("nocg", "crun")):
    for k in sorted((k for k, v in rows.items() if v["mode"] == mode), key=lambda k: k != base):
        ev, b = rows[k]["ev"], rows.get(base)
        cells = []
        for key, _, scale in cols:
            v, var = ev.get(key, (None, "?"))
            cells.append("?" if v is None else (f"{v * scale:.2f}" if scale != 1 or key == "task-clock"
                                                 else f"{v:,.0f}") + (f" ± {var}" if var else ""))
        tc, btc = ev.get("task-clock", (None,))[0], b and b["ev"].get("task-clock", (None,))[0]
        ratio = f"{tc / btc:.2f}x" if tc and btc else "-"
        label = {"default": "default cgroups", "nocg": "cgroups disabled"}[mode]
        print(f"| {label} | {k} | " + " | ".join(cells) + f" | {ratio} |")
if not hw:
    print("\nThis machine exposes no hardware counters to perf (`instructions` and `cycles` are "
          "<not supported>, as usual in a Firecracker VM), so perf counts software events only; "
          "the instruction counts below come from callgrind.")
EOF

# --- callgrind of the corral process. corral's create/run re-execute themselves from a sealed
# memfd copy first (cmd/corral/main.cpp), and with --trace-children=no valgrind would let that
# exec run natively: only the copy step would be profiled. So valgrind is given such a sealed copy
# already (/proc/self/fd/N of a sealed memfd, which corral recognises as its sealed self): the
# profile is the whole corral process minus the copy. It is of `create`, not `run`: valgrind 3.19
# (Debian 12) answers pidfd_open with ENOSYS, and `start` (so `run`) and `delete` need it;
# `create` is all of run's setup (parse, validate, plan, state, cgroups, clone, sync protocol up
# to Ready), leaving out the exec fifo handshake, the wait and the delete. valgrind also answers
# clone3 with ENOSYS, so under it corral takes its clone(2) fallback and writes cgroup.procs
# instead of CLONE_INTO_CGROUP. The container init is a clone that valgrind follows, but its
# profile is lost (it is killed by the delete); and whatever the kernel does (namespaces, mounts,
# clone, exec) is not in user-space Ir at all.
CG_OK=0
# sealed-valgrind.py CORRAL PIDFILE OUTFILE ARG...: valgrind --tool=callgrind of a sealed memfd
# copy of CORRAL with ARG..., from this (exec'd) process, whose pid goes to PIDFILE.
cat >"$TMP/sealed-valgrind.py" <<'EOF'
import fcntl, os, resource, sys
corral, pidfile, outfile, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
src = os.open(corral, os.O_RDONLY)
fd = os.memfd_create("corral", os.MFD_ALLOW_SEALING)   # inherited by valgrind: no CLOEXEC
size, off = os.fstat(src).st_size, 0
while off < size:
    off += os.sendfile(fd, src, off, size - off)
fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
            fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
# valgrind keeps a few fds above the soft RLIMIT_NOFILE for itself and refuses any setrlimit
# whose hard limit differs from that soft limit: the init's RLIMIT_NOFILE from config.json
# (1024) would fail with EPERM. Starting with the soft limit at that value makes it the hard
# limit valgrind shows its client, and the init's setrlimit a no-op.
nofile = int(os.environ.get("NOFILE", "1024"))
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
os.execvp("valgrind", ["valgrind", "--tool=callgrind", "--trace-children=no",
                       "--callgrind-out-file=" + outfile, "/proc/self/fd/%d" % fd] + args)
EOF
NOFILE=$("$PY" -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1]))["process"].get("rlimits",[]) if x["type"]=="RLIMIT_NOFILE"]; print(r[0]["hard"] if r else 1024)' "$BUNDLE/config.json")
if [ -n "$CORRAL" ]; then
  for e in "${ENTRIES[@]}"; do
    IFS='|' read -r name mode wrap rt <<<"$e"
    case $name in corral | corral-nocg) ;; *) continue ;; esac
    rm -f "$TMP"/cg.out.*
    # shellcheck disable=SC2086 # $rt is a shell-quoted argv: split on purpose, after the binary
    set -- $rt
    shift   # the corral path; the memfd copy takes its place
    sh -c "$wrap env NOFILE=$NOFILE $PY $TMP/sealed-valgrind.py $(printf %q "$CORRAL") $TMP/cg.pid $TMP/cg.out.%p $* create --bundle $BUNDLE $TAG-cg-$name" \
      </dev/null >"$TMP/cg.log" 2>&1 || cg_rc=$?
    sh -c "$wrap $rt delete -f $TAG-cg-$name" >/dev/null 2>&1 || true
    [ "${cg_rc:-0}" = 0 ] || { echo "callgrind of $name failed: $(grep -v '^==' "$TMP/cg.log" | tail -n1)"; cg_rc=0; continue; }
    out=$TMP/cg.out.$(cat "$TMP/cg.pid")
    [ -s "$out" ] || { echo "callgrind of $name wrote no profile"; continue; }
    # valgrind cannot read the symbols of a memfd (its mapping is named "/memfd:corral (deleted)"),
    # so corral's functions are "0x..." addresses; name them from the binary's symbol table.
    "$PY" - "$out" "$CORRAL" <<'EOF'
import bisect, re, subprocess, sys
path, binary = sys.argv[1], sys.argv[2]
syms = []
for l in subprocess.run(["nm", "-C", "--defined-only", binary], capture_output=True,
                        text=True).stdout.splitlines():
    f = l.split(" ", 2)
    if len(f) == 3 and f[1] in "tTwWiI":
        syms.append((int(f[0], 16), f[2]))
syms.sort()
addrs = [a for a, _ in syms]
main = next((a for a, n in syms if n == "main"), None)
lines = open(path).read().split("\n")
rx = re.compile(r"^(c?fn=\((\d+)\)) (0x[0-9a-f]+)('\d+)?$")
names, cur, callees = {}, None, {}
for l in lines:  # names by id, and what "(below main)" calls: main, which gives the load base
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", l)
    if not m:
        continue
    if m.group(3) is not None:
        names[m.group(2)] = m.group(3)
    if m.group(1) == "fn":
        cur = m.group(2)
    elif cur is not None:
        callees.setdefault(cur, set()).add(m.group(2))
below = [i for i, n in names.items() if n == "(below main)"]
with open(binary, "rb") as f:
    etype = int.from_bytes(f.read(18)[16:18], "little")
# ET_EXEC (a -static build) is mapped at its own addresses; a PIE goes where valgrind puts it on
# amd64 (0x108000), checked below against the call from "(below main)" to main.
base = 0 if etype == 2 else 0x108000
for i in below:
    for c in callees.get(i, ()):
        n = names.get(c, "")
        if etype != 2 and main is not None and n.startswith("0x") and (int(n.split("'")[0], 16) - main) % 4096 == 0:
            base = int(n.split("'")[0], 16) - main
def name_of(addr):
    k = bisect.bisect_right(addrs, addr - base) - 1
    if k < 0 or addr - base > addrs[-1] + 65536:
        return None
    off = addr - base - addrs[k]
    return syms[k][1] + (f"+{off:#x}" if off else "")
out = []
for l in lines:
    m = rx.match(l)
    n = m and name_of(int(m.group(3), 16))
    out.append(f"{m.group(1)} {n}{m.group(4) or ''}" if n else l)
open(path, "w").write("\n".join(out))
EOF
    callgrind_annotate --inclusive=yes "$out" >"$TMP/cg-$name.txt" 2>/dev/null
    # The profile must cover create_container: if it does not, corral re-executed anyway.
    grep -q create_container "$TMP/cg-$name.txt" || echo "warning: the $name profile has no create_container: corral did not run as its sealed copy under valgrind"
    "$PY" - "$TMP/cg-$name.txt" "$TOP" "$name" "$mode" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().splitlines(); top = int(sys.argv[2])
rx = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$")
total = next((rx.match(l).group(1) for l in text if "PROGRAM TOTALS" in l and rx.match(l)), "?")
rows = [rx.match(l) for l in text if rx.match(l) and "PROGRAM TOTALS" not in l]
def short(fn):  # template arguments and parameter lists out: CLI::App::parse(...)
    obj = re.search(r"\s+\[([^]]*)\]$", fn)
    fn = re.sub(r"\s+\[[^]]*\]$", "", fn)          # the object file
    if re.search(r":0x[0-9a-f]+('\d+)?$", fn) and obj:  # no symbol: say in which object
        return fn.split(":")[-1] + " in " + obj.group(1).rsplit("/", 1)[-1]
    fn = re.sub(r"^[^:]*:", "", fn, count=1) if not fn.startswith("???:") else fn[4:]
    if fn.startswith("("):
        return fn                                     # (below main)
    out, depth = "", 0
    for ch in fn:
        if ch in "<(":
            if depth == 0:
                out += ch
            depth += 1
        elif ch in ">)":
            depth -= 1
            if depth == 0:
                out += ("..." if ch == ")" else "") + ch
        elif depth == 0:
            out += ch
    return out.replace("<>", "").replace("|", "\\|")
mode = {"default": "default", "nocg": "disabled"}[sys.argv[4]]
print(f"\ncallgrind of `{sys.argv[3]} create` ({mode} cgroups), the corral process only: "
      f"{total} instructions (Ir) in user space. Top {top} functions by inclusive Ir:\n")
print("| inclusive Ir | % | function |\n| ---: | ---: | --- |")
for m in rows[:top]:
    print(f"| {m.group(1)} | {m.group(2)} | `{short(m.group(3))}` |")
EOF
    CG_OK=1
  done
fi
[ "$CG_OK" = 1 ] || echo "no callgrind profile (no corral binary, or valgrind failed)"
echo
echo "host after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
