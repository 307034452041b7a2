#!/usr/bin/env bats
# SECURITY.md class 1, runtime binary overwrite (runc CVE-2019-5736): no process inside a
# container may reach a writable host runtime binary. Every test ends with the sha256 of the
# binary it ran unchanged (on top of the per-test identity check of lib/security).
#
# Tests that could actually succeed in writing run a private copy of the runtime
# (use_runtime_copy), so a vulnerable runtime corrupts that copy and not the build.

load lib/security

# use_runtime_copy: $CORRAL becomes a copy in this test's temp dir (teardown goes back to the
# real one); sets COPY_SHA and COPY_ID ("st_dev st_ino" of the copy, as seen from anywhere).
use_runtime_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/runtime"
	cp "$SEC_CORRAL_REAL" "$BATS_TEST_TMPDIR/runtime/corral"
	CORRAL=$BATS_TEST_TMPDIR/runtime/corral
	COPY_SHA=$(corral_sha "$CORRAL")
	COPY_ID=$(stat -c '%d %i' "$CORRAL")
}

assert_runtime_unchanged() {
	local now
	now=$(corral_sha "$CORRAL")
	[ "$now" = "$COPY_SHA" ] ||
		fail "THE CONTAINER OVERWROTE THE RUNTIME BINARY $CORRAL: sha256 $COPY_SHA -> $now" \
			"first bytes: $(head -c 32 "$CORRAL" | od -An -c | head -2)"
}

# make_bundle_at DIR: a second bundle (template config, fresh rootfs).
make_bundle_at() {
	mkdir -p "$1"
	cp "$BATS_FILE_TMPDIR/template/config.json" "$1/config.json"
	flock -s "$ROOTFS_CACHE.lock" cp -a "$ROOTFS_CACHE" "$1/rootfs"
}

# ns_pid HOSTPID: the pid of HOSTPID in its innermost pid namespace.
ns_pid() {
	local l
	while read -r l; do
		[[ "$l" == NSpid:* ]] && { echo "${l##*[[:space:]]}"; return 0; }
	done <"/proc/$1/status"
	return 1
}

@test "run: write-opens of every /proc/<pid>/exe, /proc/self/exe and /proc/1/exe fail" {
	use_runtime_copy
	# <> opens read-write and >> write-only, neither truncates nor writes; probe write would
	# truncate, and is tried on the container's own binaries only.
	cfg --arg s '
		n=0
		for f in /proc/[0-9]*/exe /proc/self/exe /proc/thread-self/exe /proc/1/exe; do
			n=$((n + 1))
			if (exec 9<>"$f") 2>/dev/null; then echo "OPENED-RW $f"; fi
			if (exec 9>>"$f") 2>/dev/null; then echo "OPENED-WRONLY $f"; fi
		done
		probe write /proc/1/exe x
		probe write /proc/self/exe x
		echo "tried=$n"' 'args(["sh", "-c", $s])'
	run_ctr
	refute_line_matching OPENED
	assert_output_contains "probe: open /proc/1/exe:"
	assert_output_contains "probe: open /proc/self/exe:"
	[ "$(kv tried)" -ge 4 ]
	assert_runtime_unchanged
}

@test "create: a container sharing the pid namespace cannot open the waiting init's exe" {
	# The attacker (SECURITY.md threat model: a container sharing namespaces with another)
	# scans /proc/*/exe from before the victim is created until after it started. The victim's
	# init waits in `created` as a clone of the runtime, so its exe IS the runtime binary; it
	# must be non-dumpable, which makes the open fail.
	use_runtime_copy
	local attacker=$BATS_TEST_TMPDIR/attacker aid
	aid=$(new_id attacker)
	make_bundle_at "$attacker"
	cp "$SEC_HELPERS/exe-grabber" "$attacker/rootfs/bin/"
	read -r dev ino <<<"$COPY_ID"
	cfg -b "$attacker" --arg d "$dev" --arg i "$ino" 'args(["/bin/exe-grabber", "20", $d, $i])'
	corral_bg create -b "$attacker" --pid-file "$BATS_TEST_TMPDIR/attacker.pid" "$aid"
	corral start "$aid"
	local apid out
	apid=$(<"$BATS_TEST_TMPDIR/attacker.pid")
	out=$(ctr_stdout "$aid")
	wait_for_line "$out" "GRABBER-STARTED 1"

	cfg --arg p "/proc/$apid/ns/pid" 'args(["probe", "sleep", "0.3"]) | ns("pid"; $p)'
	corral_bg create --pid-file "$BATS_TEST_TMPDIR/victim.pid" "$CID"
	local vpid vns
	vpid=$(<"$BATS_TEST_TMPDIR/victim.pid")
	vns=$(ns_pid "$vpid")
	# The attacker must have seen the waiting init: that is what this test is about.
	retry 100 0.05 grep -q "^[A-Z-]* $vns\( \|\$\)" "$out" ||
		fail "the attacker never saw the victim's init (pid $vns in its namespace):" "$(cat "$out")"
	sleep 0.3 # more rounds while the init waits
	corral start "$CID"
	wait_pid_gone "$vpid"
	corral delete "$CID"
	corral delete -f "$aid"

	run cat "$out"
	refute_line_matching REACHED
	refute_line_matching WRITE-OPENED
	assert_line "DENIED $vns EACCES"
	assert_runtime_unchanged
}

@test "hostile image: entrypoint /proc/self/exe with its own ELF interpreter (CVE-2019-5736)" {
	# The published exploit: the image's entrypoint is /proc/self/exe, which for the init
	# (until its execve) is the runtime binary; the image ships its own dynamic loader, so the
	# runtime binary starts inside the container running attacker code, which keeps an O_PATH
	# fd of /proc/self/exe across an execve of /bin/exe-writer, which reopens it for writing
	# once no runtime process executes it (after `start` returned). The attack must fail at
	# one of the steps: create/start refuses, the exe is not the host file, or it is not
	# writable (sealed memfd, read-only mount).
	use_runtime_copy
	install_helper evil-interp /lib64/ld-linux-x86-64.so.2
	install_helper exe-writer
	read -r dev ino <<<"$COPY_ID"
	cfg --arg d "$dev" --arg i "$ino" 'args(["/proc/self/exe", $d, $i])'
	local out pid
	out=$(ctr_stdout "$CID")
	if corral_bg create --pid-file "$BATS_TEST_TMPDIR/init.pid" "$CID" && corral start "$CID"; then
		pid=$(<"$BATS_TEST_TMPDIR/init.pid")
		# exe-writer gives up after 5 s; the container then exits.
		wait_pid_gone "$pid" || retry 60 0.1 _pid_gone "$pid" || true
	fi
	run cat "$out"
	printf '# container output: %s\n' "${output//$'\n'/ | }" >&3
	assert_runtime_unchanged
	refute_line WROTE
	refute_line WRITE-OPENED
	refute_line REACHED
}
