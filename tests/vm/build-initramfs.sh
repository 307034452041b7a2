#!/bin/bash
# build-initramfs.sh CACHE_DIR
#
# Prepares what tests/vm/run.sh boots, in CACHE_DIR:
#   kernel/          Debian's linux-image-amd64, extracted with dpkg-deb (never installed on the
#                    host: no initramfs hooks, no /boot change); kernel/lib/modules/KVER is what
#                    the guest's modprobe uses
#   kver             the kernel version, e.g. 6.1.0-57-amd64
#   vmlinuz          the kernel image (bzImage)
#   vmlinux          the same kernel uncompressed, booted through its PVH entry point: under TCG
#                    the bzImage's own xz decompression costs several seconds of every boot
#   initramfs.cpio   busybox-static, tests/vm/init.sh as /init, and the modules the guest needs
#                    to reach its root (virtio-pci, virtio-blk, 9p) and fuse, in load order
#
# All of it is cached: the kernel is fetched once (CORRAL_VM_REFRESH=1 fetches the current one
# again), the initramfs is rebuilt only when its inputs change (see stamp). A lock makes
# concurrent runs (ctest -j) wait for each other instead of racing.
set -euo pipefail

die() { echo "vm: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
cache=$1
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
# Loaded by the initramfs (with what they depend on); everything else the guest loads on demand
# through modprobe. fuse is here for /dev/fuse, which only appears once the module is loaded
# (no systemd in the guest to make static nodes), and modprobe over 9p is slow at boot.
modules=(virtio_pci virtio_blk 9pnet_virtio 9p fuse)

for tool in apt-get dpkg-deb depmod modprobe cpio xz; do
	command -v "$tool" >/dev/null || die "$tool missing: scripts/deps.sh --test installs it"
done
[ -x "$busybox" ] || die "$busybox missing: apt-get install busybox-static"

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

# ---- the kernel ------------------------------------------------------------------------------
fetch_kernel() {
	local pkg dl=$cache/download
	# The meta package only depends on the versioned image, which holds the kernel and modules.
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		apt-get update -qq || die "apt-get update failed"
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || die "cannot resolve the kernel package behind linux-image-amd64"
	echo "vm: fetching $pkg" >&2
	rm -rf "$dl" && mkdir -p "$dl"
	# Stale package lists name versions the archive no longer has: refresh them once.
	(cd "$dl" && apt-get download -q=2 "$pkg" 2>/dev/null) ||
		{ apt-get update -qq && (cd "$dl" && apt-get download -q=2 "$pkg"); } ||
		die "apt-get download $pkg failed"
	rm -rf "$cache/kernel.new"
	dpkg-deb -x "$dl"/"$pkg"_*.deb "$cache/kernel.new"
	rm -rf "$dl" "$cache/kernel"
	mv "$cache/kernel.new" "$cache/kernel"
	# The package ships no modules.dep (its postinst makes it): make it for modprobe -d.
	local kver
	kver=$(ls "$cache/kernel/lib/modules")
	depmod -b "$cache/kernel" "$kver"
	echo "$kver" >"$cache/kver"
}

if [ ! -s "$cache/kver" ] || [ -n "${CORRAL_VM_REFRESH:-}" ]; then
	fetch_kernel
fi
kver=$(cat "$cache/kver")
kroot=$cache/kernel
[ -f "$kroot/boot/vmlinuz-$kver" ] || die "$kroot/boot/vmlinuz-$kver missing: remove $cache and retry"
ln -sf "kernel/boot/vmlinuz-$kver" "$cache/vmlinuz"
if [ ! -s "$cache/vmlinux" ] || [ "$cache/vmlinux" -ot "$cache/kver" ]; then
	grep -q '^CONFIG_PVH=y' "$kroot/boot/config-$kver" || die "kernel $kver has no PVH entry point"
	# The payload starts at the first xz magic; xz stops at its end (and complains about the
	# rest of the bzImage, hence 2>/dev/null and the ELF check instead of its status).
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$cache/vmlinuz" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || die "no xz payload in $cache/vmlinuz"
	tail -c +$((off + 1)) "$cache/vmlinuz" | xz -dc >"$cache/vmlinux.new" 2>/dev/null || true
	[ "$(head -c 4 "$cache/vmlinux.new" | od -An -c | tr -d ' ')" = 177ELF ] ||
		die "could not uncompress $cache/vmlinuz"
	mv "$cache/vmlinux.new" "$cache/vmlinux"
fi

# ---- the initramfs ---------------------------------------------------------------------------
stamp=$(cat "$0" "$here/init.sh" "$busybox" "$cache/kver" | sha256sum | cut -d' ' -f1)
if [ -f "$cache/initramfs.cpio" ] && [ "$(cat "$cache/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp=$(mktemp -d "$cache/initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,host,modules}
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
install -m 0755 "$here/init.sh" "$tmp/init"
# modprobe resolves the dependency order; a module several of them need is listed once.
modprobe -d "$kroot" -S "$kver" --show-depends -a "${modules[@]}" |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$tmp/deps" ||
	die "kernel $kver lacks one of the modules ${modules[*]}"
while read -r ko; do
	cp "$ko" "$tmp/modules/"
	basename "$ko" >>"$tmp/modules/order"
done <"$tmp/deps"
rm "$tmp/deps"
# The kernel opens /dev/console for init before init can mount devtmpfs: without the node, init
# would start with no stdio.
mknod "$tmp/dev/console" c 5 1
cpio_list=$(cd "$tmp" && find . -mindepth 1 | sort)
(cd "$tmp" && printf '%s\n' "$cpio_list" | cpio -o -H newc --quiet -R 0:0) >"$cache/initramfs.cpio.new"
mv "$cache/initramfs.cpio.new" "$cache/initramfs.cpio"
echo "$stamp" >"$cache/initramfs.stamp"
echo "vm: initramfs for $kver ($(wc -l <"$tmp/modules/order") modules)" >&2
