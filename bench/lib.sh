# shellcheck shell=bash
# Shared pieces of the bench scripts: `. bench/lib.sh` once REPO is set; the functions that use
# TMP read it when they are called.

# bench_need CHECK:PACKAGE...: installs (apt-get, once, quietly) what the benchmark lacks: runc,
# crun, unshare, Debian's python3 and a static busybox always, plus every PACKAGE whose CHECK
# fails. A CHECK starting with / is a file that must be executable, else a command name. Repeat
# runs stay offline. Sets PY.
bench_need() {
  local want need=() check
  PY=/usr/bin/python3 # Debian's python, not a pyenv shim: json is all the scripts need
  command -v runc >/dev/null || need+=(runc)
  command -v crun >/dev/null || need+=(crun)
  command -v unshare >/dev/null || need+=(util-linux)
  [ -x "$PY" ] || need+=(python3)
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
  for want in "$@"; do
    check=${want%%:*}
    if [[ "$check" == /* ]]; then [ -x "$check" ] && continue; else command -v "$check" >/dev/null && continue; fi
    need+=("${want#*:}")
  done
  bench_install "${need[@]}"
}

# bench_start NAME: the scratch dir TMP (/tmp/corral-bench-NAME.*), CORRAL found, and an exit
# trap that stops the background driver (DRIVER, when set), deletes every container left in the
# contestants' state roots (there are some only after an interrupt or a timeout), removes any
# cgroup a runtime left behind for ids carrying TAG (when set), then TMP.
bench_start() {
  TMP=$(mktemp -d "/tmp/corral-bench-$1.XXXXXX")
  bench_find_corral
  CONTESTANTS=()
  DRIVER=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  if [ -n "${DRIVER:-}" ]; then kill "$DRIVER" 2>/dev/null || true; wait "$DRIVER" 2>/dev/null || true; fi
  bench_delete_all
  bench_rmdir_cgroups "${TAG:-}"
  rm -rf "$TMP"
}

# bench_probe_runs ID_PREFIX: one `run` of the bundle per contestant (id ID_PREFIX-NAME); sets
# ENTRIES to the contestants that ran, names each that did not with its last error line, stops
# when none did, then prints the host line. A failing runtime inside a timed loop would abort the
# whole benchmark; this finds it first.
bench_probe_runs() {
  local e name mode wrap rt
  ENTRIES=()
  for e in "${CONTESTANTS[@]}"; do
    IFS='|' read -r name mode wrap rt <<<"$e"
    if (cd "$BUNDLE" && sh -c "$wrap $rt run --bundle $BUNDLE $1-$name") \
      </dev/null >/dev/null 2>"$TMP/probe.log"; then
      ENTRIES+=("$e")
    else
      echo "skip $name ($mode): $(tail -n1 "$TMP/probe.log")"
    fi
  done
  bench_probe_done
}
# bench_probe_done: after a probe that filled ENTRIES.
bench_probe_done() {
  [ -n "${CORRAL:-}" ] || echo "skip corral: no binary (tried --corral, $REPO/build/corral, /usr/local/bin/corral)"
  [ ${#ENTRIES[@]} -gt 0 ] || { echo "nothing runnable to benchmark" >&2; exit 1; }
  echo "host: $(bench_host_line)"
}

# bench_busybox_rootfs DIR: busybox-static plus a symlink per applet.
bench_busybox_rootfs() {
  mkdir -p "$1/bin"
  cp /bin/busybox "$1/bin/busybox"
  for a in $("$1/bin/busybox" --list); do
    # the applet list names busybox itself; linking it would clobber the binary
    [ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
  done
}

# crun 1.8.1 refuses this v1/v2 hybrid host ("cgroups in hybrid mode not supported"). It does
# run with its cgroup manager disabled inside a private mount namespace where cgroup2 is
# mounted over /sys/fs/cgroup. The mount is invisible to the host (private propagation) and
# vanishes with the namespace. Sets WRAP to the command prefix that does this, which both sides
# of the nocg pairing pay on every run: a small C program when a compiler is there (one exec:
# unshare, mount, exec), else unshare(1) plus a shell script that runs mount(8) (three execs and
# a dynamic loader each, several milliseconds more per run, which dilutes every nocg ratio).
bench_cg2_wrapper() {
  # A cgroup2-only host (the VM lane) needs none: crun runs there as it is.
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    WRAP=""
    return 0
  fi
  CG2NS=$TMP/cg2ns
  cat >"$CG2NS.c" <<'EOS'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>
int main(int argc, char** argv) {
    if (argc < 2) return 2;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0) {
        perror("cg2ns");
        return 1;
    }
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
EOS
  if command -v cc >/dev/null && cc -O2 -o "$CG2NS" "$CG2NS.c" 2>/dev/null; then
    WRAP=$CG2NS
    return 0
  fi
  cat >"$CG2NS" <<'EOS'
#!/bin/sh
mount -t cgroup2 none /sys/fs/cgroup && exec "$@"
EOS
  chmod +x "$CG2NS"
  WRAP="unshare -m --propagation private $CG2NS"
}

# --- helpers of parallel.sh, memory.sh, profile.sh and cycle.sh ---------------------------------

# bench_install PKG...: apt-get install the given packages (none: nothing), once, quietly.
bench_install() {
  [ $# -gt 0 ] || return 0
  echo "installing: $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# bench_find_corral: sets CORRAL, unless already set, to $REPO/build/corral or
# /usr/local/bin/corral, whichever exists first; empty when neither does.
bench_find_corral() {
  local c
  [ -n "${CORRAL:-}" ] && return 0
  for c in "$REPO/build/corral" /usr/local/bin/corral; do
    [ -x "$c" ] && { CORRAL=$c; return 0; }
  done
  CORRAL=""
}

# bench_corral_bundle DIR ARG...: a bundle in DIR for the command ARG...: the busybox-static
# rootfs and `corral spec` (runc spec when there is no corral), with process.args=ARG...,
# terminal=false and ociVersion 1.0.2 (crun 1.8.1 refuses the 1.2.0 that `corral spec` writes).
# Every runtime gets this same bundle.
bench_corral_bundle() {
  local dir=$1
  shift
  mkdir -p "$dir"
  bench_busybox_rootfs "$dir/rootfs"
  if [ -n "${CORRAL:-}" ] && [ -x "$CORRAL" ]; then
    (cd "$dir" && "$CORRAL" spec >/dev/null)
  else
    (cd "$dir" && runc spec)
  fi
  /usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["ociVersion"]="1.0.2"; c["process"]["args"]=sys.argv[2:]; c["process"]["terminal"]=False; json.dump(c,open(p,"w"),indent=2)' \
    "$dir/config.json" "$@"
}

# bench_host_line: one markdown line naming the date, load average, kernel and versions; says
# "machine busy with other test runs" when the 1-minute load average is above 1.
bench_host_line() {
  local load v_corral="-" busy=""
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  awk -v l="${load%% *}" 'BEGIN { exit !(l > 1) }' && busy=" (machine busy with other test runs)"
  [ -n "${CORRAL:-}" ] && v_corral=$("$CORRAL" --version 2>/dev/null | head -1 | awk '{print $NF}')
  echo "$(date -u +%Y-%m-%dT%H:%MZ), load average $load$busy; kernel $(uname -r), $(nproc) CPUs;" \
    "corral $v_corral$( [ -d "$REPO/.git" ] && echo " ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null))")," \
    "runc $(runc --version 2>/dev/null | awk 'NR==1{print $3}'), crun $(crun --version 2>/dev/null | awk 'NR==1{print $3}')"
}

# bench_contestants: sets CONTESTANTS to "name|mode|wrap|runtime argv" lines, the argv shell-quoted
# and ending in a private `--root $TMP/root-NAME`: runc and corral in mode "default" (each
# runtime's own cgroup handling), crun and corral-nocg in mode "nocg" (--cgroup-manager=disabled,
# run in the cgroup2 wrapper where they must be). Calls bench_cg2_wrapper. corral only when
# $CORRAL is executable.
bench_contestants() {
  local n
  bench_cg2_wrapper
  for n in runc corral crun corral-nocg; do mkdir -p "$TMP/root-$n"; done
  CONTESTANTS=("runc|default||runc --root $(printf %q "$TMP/root-runc")")
  [ -n "${CORRAL:-}" ] && [ -x "$CORRAL" ] &&
    CONTESTANTS+=("corral|default||$(printf %q "$CORRAL") --root $(printf %q "$TMP/root-corral")")
  CONTESTANTS+=("crun|nocg|$WRAP|crun --cgroup-manager=disabled --root $(printf %q "$TMP/root-crun")")
  [ -n "${CORRAL:-}" ] && [ -x "$CORRAL" ] &&
    CONTESTANTS+=("corral-nocg|nocg|$WRAP|$(printf %q "$CORRAL") --cgroup-manager=disabled --root $(printf %q "$TMP/root-corral-nocg")")
  return 0
}

# bench_add_crun_cg: on a cgroup2-only host (the VM lane) crun can run with its own cgroup
# manager, so it joins the default-cgroups pairing as "crun-cg": all three with cgroups.
bench_add_crun_cg() {
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || return 0
  mkdir -p "$TMP/root-crun-cg"
  CONTESTANTS+=("crun-cg|default||crun --root $(printf %q "$TMP/root-crun-cg")")
}

# bench_delete_all: `delete -f` of every container left in the contestants' state roots (in the
# wrapper where the contestant has one), e.g. after an interrupt. Only our private roots.
bench_delete_all() {
  local e wrap rt id
  for e in "${CONTESTANTS[@]}"; do
    IFS="|" read -r _ _ wrap rt <<<"$e"
    for id in $(sh -c "$rt list -q" 2>/dev/null); do
      sh -c "$wrap $rt delete -f $id" >/dev/null 2>&1 || true
    done
  done
}

# bench_rmdir_cgroups TAG: removes (rmdir, deepest first, only when empty) every cgroup directory
# below /sys/fs/cgroup whose name contains TAG: the groups of containers whose ids carry TAG
# that a runtime left behind. Names each one on stderr, since a leftover group is a runtime bug.
bench_rmdir_cgroups() {
  local d
  [ -n "$1" ] || return 0
  find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -name "*$1*" 2>/dev/null | sort -r |
    while read -r d; do
      echo "left behind by a runtime, removed: $d" >&2
      rmdir "$d" 2>/dev/null || echo "  (rmdir failed: not empty?)" >&2
    done
}
