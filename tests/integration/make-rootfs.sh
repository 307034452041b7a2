#!/bin/sh
# make-rootfs.sh DEST PROBE
#
# Builds the busybox rootfs the integration tests copy into every bundle: Debian's
# busybox-static with a symlink per applet, the standard top-level directories, a minimal
# passwd/group, and the static probe as /bin/probe.
#
# The result is cached: DEST.stamp records the sha256 of the probe, of busybox and of this
# script, and a DEST matching the stamp is reused as is. Suites run in parallel under ctest, so
# the build holds a lock and publishes DEST with a rename; a reader never sees a half-built tree.
set -eu

usage() { echo "usage: $0 DEST PROBE" >&2; exit 2; }
[ $# -eq 2 ] || usage
dest=$1
probe=$2
busybox=${BUSYBOX:-/bin/busybox}

die() { echo "make-rootfs: $*" >&2; exit 1; }
[ -f "$probe" ] || die "probe binary $probe: No such file or directory"
[ -x "$busybox" ] || die "$busybox missing: apt-get install -y busybox-static"
# A dynamically linked busybox would not run in a rootfs without libc.
if command -v file >/dev/null 2>&1 && ! file -L "$busybox" | grep -q 'statically linked'; then
	die "$busybox is not static: apt-get install -y busybox-static"
fi

stamp_of() {
	cat "$probe" "$busybox" "$0" | sha256sum | cut -d' ' -f1
}

mkdir -p "$(dirname "$dest")"
exec 9>"$dest.lock"
flock 9

want=$(stamp_of)
if [ -d "$dest" ] && [ -f "$dest.stamp" ] && [ "$(cat "$dest.stamp")" = "$want" ]; then
	exit 0
fi

tmp=$dest.tmp.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
cd "$tmp"

# Directories a runtime or a test expects to exist; tmp is sticky and world-writable as on any
# system, root's home is private.
mkdir -p bin sbin usr/bin usr/sbin usr/local/bin dev etc home mnt opt proc root run sys tmp \
	var/tmp var/run
chmod 1777 tmp var/tmp
chmod 0700 root

cp "$busybox" bin/busybox
# One symlink per applet at its canonical path (bin/sh, sbin/ip, usr/bin/env), so PATH lookups
# inside the container behave as on a normal system. `busybox --install -s` run chrooted does it
# in one process; a loop of ln costs ~13 s here (20 ms per exec on this VM), so it is only the
# fallback when chroot is not permitted.
if ! chroot . /bin/busybox --install -s 2>/dev/null; then
	for a in $(./bin/busybox --list-full); do
		[ "$a" = bin/busybox ] && continue
		case $a in */*) mkdir -p "${a%/*}" ;; esac
		ln -sf /bin/busybox "$a"
	done
fi
# Every applet busybox --list names must now have its link (linuxrc lives at the top).
for a in $(./bin/busybox --list); do
	[ "$a" = busybox ] && continue
	found=
	for d in . bin sbin usr/bin usr/sbin; do
		[ -L "$d/$a" ] && found=1 && break
	done
	[ -n "$found" ] || die "applet $a was not installed"
done

install -m 0755 "$probe" bin/probe

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
EOF
echo corral-test >etc/hostname
: >etc/hosts
: >etc/resolv.conf

cd /
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$want" >"$dest.stamp"
