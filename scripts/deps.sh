#!/bin/sh
# Installs what corral needs to build and test, from Debian 12 packages.
# Quiet and quick when everything is already there.
set -eu
pkgs="cmake g++ make pkg-config git libseccomp-dev libcap-dev nlohmann-json3-dev \
libcli11-dev doctest-dev busybox-static bats python3 clang-format iproute2 util-linux"
[ "${1:-}" = "--test" ] && pkgs="$pkgs runc crun hyperfine time uidmap qemu-system-x86 cpio kmod xz-utils \
podman conmon containerd umoci catatonit clang-14 libclang-rt-14-dev llvm-14 apparmor"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi
echo "deps: all installed"
