#!/usr/bin/env bats
# SECURITY.md class 4, mount destinations outside the rootfs (runc CVE-2021-30465,
# CVE-2024-45310, crun CVE-2019-18837): destinations are resolved in the root, missing parts
# created in it, and the mount goes onto the opened fd, so neither a symlink planted in the
# image (dangling, trailing, climbing with ../) nor one swapped in by a racer while the runtime
# works can put a mount or a mountpoint directory outside the rootfs.
#
# Outside means the host: the canary (a directory the symlinks point to by its host path), the
# host's "/" and its mount table, core_pattern (all checked in teardown). Inside the container,
# every mountpoint must be where the symlinks lead when resolved in the container's root.
#
# Every test runs twice: as is, and in the degraded lane ([no openat2]). The racer tests run
# RACER_CYCLES (or RACER_CYCLES_DEGRADED) create/start/delete cycles each (`run`).

load lib/security

RACER_CYCLES=${RACER_CYCLES:-70}
RACER_CYCLES_DEGRADED=${RACER_CYCLES_DEGRADED:-25}

plant() {
	rm -rf "$BUNDLE/rootfs$1"
	mkdir -p "$(dirname "$BUNDLE/rootfs$1")"
	ln -s "$2" "$BUNDLE/rootfs$1"
}

# A host directory to bind, and a host file.
make_sources() {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	echo from-src >"$SRC/marker"
	echo from-src-file >"$BATS_TEST_TMPDIR/srcfile"
}

# assert_mounted_at PATH: something is mounted at PATH in the container (probe mounts).
assert_mounted_at() {
	mountpoints | grep -qxF -- "$1" || fail "nothing mounted at $1 in the container" "$output"
}

t_dangling_and_trailing() {
	make_sources
	local ghost=/sec-ghost-$RANDOM
	plant /mnt/dangling "$ghost"                                # absolute, dangling
	plant /mnt/canary "$SEC_CANARY"                             # absolute, exists only on the host
	plant /mnt/up "../../../../../../../../..$SEC_CANARY/sub"   # climbing
	plant /etc/sec.conf "$SEC_CANARY/file"                      # trailing, for a file bind
	cfg --arg s "$SRC" --arg f "$BATS_TEST_TMPDIR/srcfile" \
		'args(["sh", "-c", "probe mounts; cat /mnt/dangling/marker /mnt/up/marker /etc/sec.conf"])
		| mount("/mnt/canary"; "tmpfs"; "sec-tmpfs"; ["size=64k"])
		| bind("/mnt/dangling"; $s) | bind("/mnt/up"; $s) | bind("/etc/sec.conf"; $f)'
	run_ctr
	assert_status 0
	note "mountpoints: $(mountpoints | tr '\n' ' ')"
	assert_mounted_at "$ghost"
	assert_mounted_at "$SEC_CANARY"
	assert_mounted_at "$SEC_CANARY/sub"
	assert_mounted_at "$SEC_CANARY/file"
	assert_line from-src
	assert_line from-src-file
	# Created in the rootfs, not on the host.
	[ ! -e "$ghost" ] || fail "$ghost was created on the host"
	[ -d "$BUNDLE/rootfs$ghost" ]
	[ -d "$BUNDLE/rootfs$SEC_CANARY" ]
	# Every mountpoint is one of the config's or where its symlink leads in the root.
	local mp
	for mp in $(mountpoints); do
		case $mp in
		/ | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) ;;
		"$ghost" | "$SEC_CANARY" | "$SEC_CANARY/sub" | "$SEC_CANARY/file") ;;
		*) fail "unexpected mountpoint $mp" "$output" ;;
		esac
	done
}

@test "dangling, trailing and climbing symlink destinations land inside the rootfs" {
	t_dangling_and_trailing
}

@test "[no openat2] dangling, trailing and climbing symlink destinations land inside" {
	degraded
	t_dangling_and_trailing
}

# Destinations that resolve to the container's own "/": a symlink to /, and one made of ../.
# Mounting there covers the rootfs (the process is then not found), or is refused; it never
# reaches the host's /.
t_destination_is_root() {
	make_sources
	local target
	cfg --arg s "$SRC" 'args(["probe", "exit", "0"]) | bind("/mnt/r"; $s)'
	for target in / ../../../../../../..; do
		plant /mnt/r "$target"
		run --separate-stderr corral run "$CID" </dev/null
		note "/mnt/r -> $target: status $status ${stderr:-}"
		[ "$status" -eq 0 ] || assert_error
		assert_nothing_left "$CID"
	done
	[ ! -e /marker ]
}

@test "destinations resolving to / (a symlink to /, ../../..) never reach the host's /" {
	t_destination_is_root
}

@test "[no openat2] destinations resolving to / never reach the host's /" {
	degraded
	t_destination_is_root
}

# The racer (SECURITY.md): a volume shared with the host, $VOL, is bound at /vol and holds a
# directory d, destination of 10 binds (m0..m9, from one source) and 10 tmpfs (t0..t9), and a
# symlink l to TARGET; a racer swaps d and l with RENAME_EXCHANGE without pause while CYCLES
# `run`s go. The runtime also writes to procfs (a sysctl, oom_score_adj) in every cycle.
# Each cycle fails cleanly (one line, status 1, nothing left) or ran with all 20 mounts where
# d or TARGET lead inside the root: /vol/d or IN_ROOT, the in-root path of TARGET ("-" when
# no mount may land under TARGET).
t_racer() {
	local target=$1 in_root=$2 cycles=$3
	local vol=$BATS_TEST_TMPDIR/vol k edit='bind("/vol"; $v)'
	make_sources
	mkdir -p "$vol/d"
	ln -s "$target" "$vol/l"
	for ((k = 0; k < 10; k++)); do
		edit+=" | bind(\"/vol/d/m$k\"; \$s) | mount(\"/vol/d/t$k\"; \"tmpfs\"; \"sec-t$k\"; [\"size=64k\"])"
	done
	cfg --arg v "$vol" --arg s "$SRC" "args([\"probe\", \"mounts\"]) | .process.oomScoreAdj = 100
		| .linux.sysctl = {\"kernel.domainname\": \"sec-racer\"} | $edit"

	bg_start "$RACER" 120 "$vol/d" "$vol/l" >"$BATS_TEST_TMPDIR/racer.out"
	local racer=$BG_PID
	run_loop 1 "$cycles" "$BUNDLE"
	bg_stop "$racer"
	local swaps
	swaps=$(<"$BATS_TEST_TMPDIR/racer.out")

	local n ran=() refused=0 problems=()
	local -A errors=()
	for ((n = 1; n <= cycles; n++)); do
		loop_result "$n"
		if [ "$status" -eq 0 ]; then
			ran+=("$BATS_TEST_TMPDIR/loop/$n.out")
		elif [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == corral:* ]]; then
			refused=$((refused + 1))
			errors[$output]=1
		else
			problems+=("cycle $n: status $status: $output")
		fi
	done
	# The mountpoints of every cycle that ran, checked in one awk: each of m0..m9 and t0..t9
	# under /vol/d or under IN_ROOT, 20 of them, and nothing at all under /proc/sys. The last
	# line counts the mounts that went through the symlink: the race did reach the runtime.
	local bad='' via=0
	if [ ${#ran[@]} -gt 0 ]; then
		bad=$(awk -v inroot="$in_root" '
			FNR == 1 { n[FILENAME] = 0 }
			{
				mp = $5
				if (mp ~ /^\/proc\/sys\//) print FILENAME ": a mount under /proc/sys: " $0
				k = split(mp, p, "/")
				if (p[k] !~ /^[mt][0-9]$/) next
				dir = substr(mp, 1, length(mp) - length(p[k]) - 1)
				if (dir == "") dir = "/"
				# d, or the same directory under the name l once the racer swapped it back
				# after the mount (mountinfo shows the current path).
				if (dir == "/vol/d" || dir == "/vol/l") n[FILENAME]++
				else if (dir == inroot) { n[FILENAME]++; via++ }
				else print FILENAME ": mountpoint outside the expected places: " mp
			}
			END {
				for (f in n) if (n[f] != 20) print f ": " n[f] " of the 20 mounts in place"
				print "via=" via + 0
			}
		' "${ran[@]}")
		via=${bad##*via=}
		bad=${bad%via=*}
		[ -z "$bad" ] || problems+=("$(head -n 40 <<<"$bad")")
	fi
	note "racer -> $target: $cycles cycles, ${#ran[@]} ran ($via mounts through the symlink)," \
		"$refused refused; racer: $swaps"
	[ ${#errors[@]} -eq 0 ] || note "refusals: $(printf '%s; ' "${!errors[@]}" | head -c 800)"
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	[[ "$swaps" == swaps=* && "$swaps" != swaps=0* ]] || fail "the racer did not race: $swaps"
	assert_nothing_left "$CID"
	# Nothing was created where l points on the host (the canary is checked in teardown).
	[ ! -e /m0 ] && [ ! -e /t0 ]
}

@test "racer: a volume directory swapped with a symlink to / (mounts land in the root)" {
	t_racer / / "$RACER_CYCLES"
}

@test "racer: a volume directory swapped with a symlink to the host canary" {
	t_racer "$SEC_CANARY" "$SEC_CANARY" "$RACER_CYCLES"
}

@test "racer: a volume directory swapped with a symlink to /proc/sys/kernel" {
	t_racer /proc/sys/kernel - "$RACER_CYCLES"
}

@test "[no openat2] racer: swapped with a symlink to /" {
	degraded
	t_racer / / "$RACER_CYCLES_DEGRADED"
}

@test "[no openat2] racer: swapped with a symlink to the host canary" {
	degraded
	t_racer "$SEC_CANARY" "$SEC_CANARY" "$RACER_CYCLES_DEGRADED"
}

@test "[no openat2] racer: swapped with a symlink to /proc/sys/kernel" {
	degraded
	t_racer /proc/sys/kernel - "$RACER_CYCLES_DEGRADED"
}

@test "[no openat2] the degraded lane is real: openat2 is ENOSYS for the runtime and below" {
	assert_degraded_lane_works
}
