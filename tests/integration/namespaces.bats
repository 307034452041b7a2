#!/usr/bin/env bats
# Namespaces: each requested type is new (its inode differs from the host's), each can be joined
# by path (the inode equals the first container's), plus what lives in them: hostname and
# domainname (uts), sysctls (net, ipc), clock offsets (time).

load lib/common

# The /proc/<pid>/ns name of each linux.namespaces type.
declare -gA NSNAME=([pid]=pid [network]=net [ipc]=ipc [uts]=uts [mount]=mnt [cgroup]=cgroup
	[time]=time [user]=user)

# assert_new_ns TYPE: a container asking for TYPE runs in a namespace the host is not in.
assert_new_ns() {
	local type=$1 name=${NSNAME[$1]} inode
	update_config "args('probe', 'ns'); ns('$type')"
	run --separate-stderr corral run "$CID"
	assert_status 0
	inode=$(kv "$name")
	[ "$inode" != "$(host_ns "$name")" ] || fail "$type: container shares the host's $name namespace $inode"
}

# assert_joined_ns TYPE: a first container gets a new TYPE namespace; a second one, given
# /proc/<first pid>/ns/<name> as the path, reports the same inode.
assert_joined_ns() {
	local type=$1 name=${NSNAME[$1]} first second=$BATS_TEST_TMPDIR/second id2 want
	update_config "args('probe', 'trap'); ns('$type')"
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	first=$(container_pid "$CID")
	want=$(stat -L -c %i "/proc/$first/ns/$name")
	[ "$want" != "$(host_ns "$name")" ]

	id2=$(new_id second)
	make_bundle "$second" "$id2"
	update_config -b "$second" "args('probe', 'ns'); ns('$type', '/proc/$first/ns/$name')"
	run --separate-stderr corral run -b "$second" "$id2"
	assert_status 0
	[ "$(kv "$name")" = "$want" ] || fail "$type: joined $(kv "$name"), want $want"
}

@test "pid: new namespace, the process is pid 1" {
	assert_new_ns pid
	update_config 'args("probe", "pid")'
	run corral run "$CID"
	assert_kv pid 1
}

@test "network: new namespace" { assert_new_ns network; }
@test "ipc: new namespace" { assert_new_ns ipc; }
@test "uts: new namespace" { assert_new_ns uts; }
@test "mount: new namespace" { assert_new_ns mount; }

@test "cgroup: new namespace, the container's group is its root" {
	assert_new_ns cgroup
	update_config 'args("probe", "read", "/proc/self/cgroup")'
	run corral run "$CID"
	assert_status 0
	assert_line "0::/"
}

@test "time: new namespace" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces (CONFIG_TIME_NS)"
	assert_new_ns time
	[ "$(kv time_for_children)" = "$(kv time)" ]
}

@test "a namespace not asked for is the host's (network)" {
	update_config 'args("probe", "ns"); drop_ns("network")'
	run corral run "$CID"
	assert_status 0
	assert_kv net "$(host_ns net)"
	# and the others asked for are still new
	[ "$(kv pid)" != "$(host_ns pid)" ]
}

@test "pid: joined by path" { assert_joined_ns pid; }
@test "network: joined by path" { assert_joined_ns network; }
@test "ipc: joined by path" { assert_joined_ns ipc; }
@test "uts: joined by path" { assert_joined_ns uts; }
@test "cgroup: joined by path" { assert_joined_ns cgroup; }

@test "mount: joined by path" {
	# The second container runs inside the first one's mount tree, rootfs and
	# /proc included. That /proc belongs to the first container's pid namespace,
	# where /proc/self would not name a process of a new one: join that too.
	local second=$BATS_TEST_TMPDIR/second id2 first want
	update_config "args('probe', 'trap')"
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	first=$(container_pid "$CID")
	want=$(stat -L -c %i "/proc/$first/ns/mnt")
	[ "$want" != "$(host_ns mnt)" ]
	id2=$(new_id second)
	make_bundle "$second" "$id2"
	update_config -b "$second" "args('probe', 'ns'); ns('mount', '/proc/$first/ns/mnt'); ns('pid', '/proc/$first/ns/pid')"
	run --separate-stderr corral run -b "$second" "$id2"
	assert_status 0
	[ "$(kv mnt)" = "$want" ] || fail "mount: joined $(kv mnt), want $want"
}

@test "time: joined by path" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces (CONFIG_TIME_NS)"
	assert_joined_ns time
}

@test "joining a namespace path that does not exist fails and leaves nothing" {
	update_config 'args("probe", "ns"); ns("network", "/proc/999999999/ns/net")'
	run --separate-stderr corral run "$CID"
	assert_error /proc/999999999/ns/net "no such file"
	assert_nothing_left "$CID"
}

@test "joining a namespace of the wrong type fails and leaves nothing" {
	update_config 'args("probe", "ns"); ns("network", "/proc/self/ns/ipc")'
	run --separate-stderr corral run "$CID"
	assert_error /proc/self/ns/ipc
	assert_nothing_left "$CID"
}

@test "time: timeOffsets shift the monotonic and boot clocks" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces (CONFIG_TIME_NS)"
	update_config 'args("probe", "timens"); ns("time")
lx["timeOffsets"] = {"monotonic": {"secs": 1000000, "nanosecs": 0},
                     "boottime": {"secs": 2000000, "nanosecs": 0}}'
	run "$CORRAL_PROBE" timens
	host_mono=$(kv monotonic)
	host_boot=$(kv boottime)
	run --separate-stderr corral run "$CID"
	assert_status 0
	mono=$(kv monotonic)
	boot=$(kv boottime)
	# Offset applied, within the minute a slow run could take.
	[ "$mono" -ge $((host_mono + 1000000)) ] && [ "$mono" -lt $((host_mono + 1000060)) ] ||
		fail "monotonic $mono, host $host_mono"
	[ "$boot" -ge $((host_boot + 2000000)) ] && [ "$boot" -lt $((host_boot + 2000060)) ] ||
		fail "boottime $boot, host $host_boot"
}

@test "hostname and domainname are set in the new uts namespace, the host's are untouched" {
	host_hostname=$(</proc/sys/kernel/hostname)
	host_domainname=$(</proc/sys/kernel/domainname)
	update_config 'args("sh", "-c", "probe hostname; probe domainname")
c["hostname"] = "box-one"; c["domainname"] = "corral.example"; ns("uts")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv hostname box-one
	assert_kv domainname corral.example
	[ "$(</proc/sys/kernel/hostname)" = "$host_hostname" ]
	[ "$(</proc/sys/kernel/domainname)" = "$host_domainname" ]
}

@test "hostname without a uts namespace fails and leaves nothing" {
	host_hostname=$(</proc/sys/kernel/hostname)
	update_config 'args("probe", "hostname"); c["hostname"] = "not-allowed"; drop_ns("uts")'
	run --separate-stderr corral run "$CID"
	assert_status 1
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(</proc/sys/kernel/hostname)" = "$host_hostname" ]
	assert_nothing_left "$CID"
}

@test "sysctl: net.ipv4.ip_forward is set in the network namespace only" {
	host_value=$(</proc/sys/net/ipv4/ip_forward)
	update_config 'args("probe", "sysctl", "net.ipv4.ip_forward"); ns("network")
lx["sysctl"] = {"net.ipv4.ip_forward": "1"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv net.ipv4.ip_forward 1
	[ "$(</proc/sys/net/ipv4/ip_forward)" = "$host_value" ]
}

@test "sysctl: kernel.msgmax is set in the ipc namespace" {
	host_value=$(</proc/sys/kernel/msgmax)
	update_config 'args("probe", "sysctl", "kernel.msgmax"); ns("ipc")
lx["sysctl"] = {"kernel.msgmax": "4096"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv kernel.msgmax 4096
	[ "$(</proc/sys/kernel/msgmax)" = "$host_value" ]
}

@test "sysctl: a net sysctl without a network namespace is refused, the host keeps its value" {
	host_value=$(</proc/sys/net/ipv4/ip_forward)
	update_config 'args("probe", "exit", "0"); drop_ns("network")
lx["sysctl"] = {"net.ipv4.ip_forward": "1"}'
	run --separate-stderr corral run "$CID"
	assert_error net.ipv4.ip_forward
	[ "$(</proc/sys/net/ipv4/ip_forward)" = "$host_value" ]
	assert_nothing_left "$CID"
}

@test "sysctl: a key outside any namespace (kernel.core_pattern) is refused" {
	host_value=$(</proc/sys/kernel/core_pattern)
	update_config 'args("probe", "exit", "0"); lx["sysctl"] = {"kernel.core_pattern": "|/bin/false"}'
	run --separate-stderr corral run "$CID"
	assert_error kernel.core_pattern
	[ "$(</proc/sys/kernel/core_pattern)" = "$host_value" ]
	assert_nothing_left "$CID"
}
