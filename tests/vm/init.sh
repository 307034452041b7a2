#!/bin/sh
# shellcheck shell=dash disable=SC2015
# (busybox ash, which has `local` as dash does; `a && b || halt` is meant: halt if either fails)
# /init of the test VM's initramfs (busybox sh), see tests/vm/README.md.
#
# Stage 1 (PID 1 in the initramfs): loads the virtio and 9p modules, mounts the host's / (9p tag
# hostroot, read-only) as the new root with fresh proc, sysfs, devtmpfs, tmpfs and a pure cgroup2
# hierarchy below it, mounts the job share (9p tag job, writable), then switch_roots into it.
# switch_root, not chroot: a chrooted process may not create user namespaces, and containers do.
#
# Stage 2 (`init stage2`, PID 1 in the new root, run from /run/vm): runs job/job.sh with
# stdout+stderr in job/output and its status in job/status, then powers off. A stage that fails
# says why on the console and powers off with no status file, which run.sh reports as a failure.
#
# The job share holds what run.sh wrote: job.sh, keep (host paths that must stay visible under
# the tmpfs mounts, one per line) and kroot (the extracted kernel package, for modprobe).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
BB=/bin/busybox # the initramfs' busybox; stage 2 runs its copy in /run/vm

say() { echo "vm-init: [$(cut -d' ' -f1 /proc/uptime)] $*" >/dev/console; }
halt() {
	say "$*"
	sync
	$BB poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 10
}

# Read-only host root: 9p with a large msize for throughput; cache=loose, as nothing on the host
# that the guest reads should change under it during a run, and binaries run from page cache.
NINEP=trans=virtio,version=9p2000.L,msize=512000

stage1() {
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	while read -r m; do
		insmod "/modules/$m" || halt "insmod $m failed"
	done </modules/order
	say "modules loaded"
	mount -t 9p -o "$NINEP,ro,cache=loose" hostroot /newroot || halt "cannot mount the host root"
	# A second view of the host root, for the paths that tmpfs mounts below would hide.
	mount --bind /newroot /host

	local r=/newroot d
	mount -t proc proc $r/proc
	mount -t sysfs sysfs $r/sys
	mount --move /dev $r/dev
	mkdir -p $r/dev/pts $r/dev/shm $r/dev/mqueue
	# What udev or systemd would add to devtmpfs; bash's process substitution uses /dev/fd.
	ln -s /proc/self/fd $r/dev/fd
	ln -s /proc/self/fd/0 $r/dev/stdin
	ln -s /proc/self/fd/1 $r/dev/stdout
	ln -s /proc/self/fd/2 $r/dev/stderr
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $r/dev/pts
	mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
	mount -t mqueue mqueue $r/dev/mqueue
	# Everything the tests, bats or the runtime write.
	mount -t tmpfs -o mode=0755 tmpfs $r/run
	for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs $r$d; done
	for d in /var/lib /root /mnt; do mount -t tmpfs -o mode=0755 tmpfs $r$d; done
	chmod 0700 $r/root
	# cgroup v2 alone; controllers stay off in subtree_control: the runtime enables what it needs.
	mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup || halt "cannot mount cgroup2"

	mkdir -p $r/run/vm/job
	mount -t 9p -o "$NINEP,rw,cache=none" job $r/run/vm/job || halt "cannot mount the job share"
	while read -r d; do
		[ -n "$d" ] && [ -d "/host$d" ] || continue
		# Only paths a tmpfs now hides need the bind; the rest are visible as they are.
		[ "$(stat -f -c %T "$r$d" 2>/dev/null)" = tmpfs ] || [ ! -e "$r$d" ] || continue
		mkdir -p "$r$d" && mount --bind "/host$d" "$r$d" || halt "cannot bind $d"
	done <$r/run/vm/job/keep

	cp /bin/busybox /init $r/run/vm/
	umount /host /proc /sys
	# shellcheck disable=SC2093 # exec fails only if switch_root cannot run at all
	exec switch_root $r /run/vm/busybox sh /run/vm/init stage2
	halt "switch_root failed"
}

stage2() {
	local job=/run/vm/job majmin
	BB=/run/vm/busybox
	# Busybox applets for this script: the host's tools would each be read over 9p first.
	$BB mkdir -p /run/vm/bin && $BB --install -s /run/vm/bin
	PATH=/run/vm/bin:$PATH
	$BB hostname corral-vm
	$BB ip link set lo up
	# The host has no modules for this kernel: the kernel's module loader (and anyone calling
	# modprobe through it) gets the extracted package's modules instead.
	printf '#!/bin/sh\nexec /sbin/modprobe -d "%s" "$@"\n' "$(cat $job/kroot)" >/run/vm/modprobe
	chmod 0755 /run/vm/modprobe
	echo /run/vm/modprobe >/proc/sys/kernel/modprobe
	majmin=$(cat /sys/block/vda/dev 2>/dev/null) || halt "no virtio disk /dev/vda"
	say "up, running the job"
	{ cut -d' ' -f1 /proc/uptime; cat /sys/fs/cgroup/cgroup.controllers; } >$job/booted

	# On a timeout run.sh asks for a picture of the guest before it kills it: what still runs,
	# where it waits (kernel threads left out), in which cgroup, and the kernel stacks of blocked (D state) tasks.
	(
		while [ ! -e $job/dump ]; do sleep 2; done
		{
			/usr/bin/ps -N --pid 2 --ppid 2 -o pid,ppid,stat,wchan:24,etime,args || ps -o pid,ppid,stat,args
			grep -H -v "^0::/$" /proc/[0-9]*/cgroup
			echo w >/proc/sysrq-trigger
			dmesg | sed -n '/sysrq: Show Blocked State/,$p'
		} >$job/dump.out.tmp 2>&1
		mv $job/dump.out.tmp $job/dump.out
	) &

	cd / || halt "no /"
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp VM_BLOCK_DEVICE=/dev/vda VM_BLOCK_MAJMIN="$majmin" \
		/bin/bash $job/job.sh </dev/null >$job/output 2>&1
	echo $? >$job/status.tmp
	mv $job/status.tmp $job/status
	halt "job done (status $(cat $job/status))"
}

case ${1:-} in
stage2) stage2 ;;
*) stage1 ;;
esac
