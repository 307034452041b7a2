# Shared pieces of the bench scripts: `. bench/lib.sh` after TMP is set.

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
# vanishes with the namespace. Sets WRAP to the command prefix.
bench_cg2_wrapper() {
  CG2NS=$TMP/cg2ns
  cat >"$CG2NS" <<'EOS'
#!/bin/sh
mount -t cgroup2 none /sys/fs/cgroup && exec "$@"
EOS
  chmod +x "$CG2NS"
  WRAP="unshare -m --propagation private $CG2NS"
}
