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

# The published CVE-2019-5736 exploit: the init's first execve reaches /proc/self/exe, which for
# the init (a clone of the runtime) IS the runtime binary; the image ships its own dynamic
# loader, so the runtime binary starts inside the container running attacker code
# (evil-interp), which keeps an O_PATH fd of /proc/self/exe across an execve of
# /bin/exe-writer, which reopens it for writing once no runtime process executes it any more
# (after `start` returned). The attack must fail at one of the steps: create or start refuses,
# the exe is not the host file (a sealed memfd...), or it cannot be written.
#
# prepare_exploit ARGS_JSON: installs the loader and the writer, uses a runtime copy, sets
# the container's args to ARGS_JSON (a jq array in which $d and $i are the copy's dev and ino;
# they must be the last two arguments the loader sees).
prepare_exploit() {
	use_runtime_copy
	install_helper evil-interp /lib64/ld-linux-x86-64.so.2
	install_helper exe-writer
	read -r dev ino <<<"$COPY_ID"
	cfg --arg d "$dev" --arg i "$ino" "args($1)"
}

# run_exploit [BETWEEN]: create, then the command BETWEEN if given (what a co-tenant does
# between create and start), start, wait for the container, and assert that the binary is
# unchanged and the loader never held it.
run_exploit() {
	local out pid
	out=$(ctr_stdout "$CID")
	if corral_bg create --pid-file "$BATS_TEST_TMPDIR/init.pid" "$CID" 2>"$BATS_TEST_TMPDIR/err" &&
		{ [ $# -eq 0 ] || "$@"; } && corral start "$CID" 2>>"$BATS_TEST_TMPDIR/err"; then
		pid=$(<"$BATS_TEST_TMPDIR/init.pid")
		# exe-writer gives up after 5 s; the container then exits.
		retry 80 0.1 _pid_gone "$pid" || true
	fi
	run cat "$out"
	note "container output: ${output:-(none)}; runtime: $(cat "$BATS_TEST_TMPDIR/err")"
	assert_runtime_unchanged
	# REACHED: the init's exe was the host file. WROTE: the binary it ran took a write (a
	# sealed memfd refuses it; WRITE-OPENED alone, an open whose write failed, is harmless).
	refute_line REACHED
	refute_line WROTE
}

@test "hostile image: entrypoint /proc/self/exe with its own ELF interpreter (CVE-2019-5736)" {
	prepare_exploit '["/proc/self/exe", $d, $i]'
	run_exploit
}

@test "hostile image: entrypoint script starting #!/proc/self/exe (the interpreter is the runtime)" {
	# The check must not be on args[0] alone: the kernel resolves a script's interpreter.
	prepare_exploit '["/entry.sh", $d, $i]'
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/entry.sh"
	chmod 755 "$BUNDLE/rootfs/entry.sh"
	run_exploit
}

@test "shared volume: the entrypoint becomes a /proc/self/exe symlink between create and start" {
	# A co-tenant of the volume (SECURITY.md threat model) swaps the entrypoint once create has
	# looked at it: whatever create checked, start must not execute the runtime binary.
	local vol=$BATS_TEST_TMPDIR/volume
	mkdir -p "$vol"
	cp "$SEC_HELPERS/exe-writer" "$vol/entry"
	prepare_exploit '["/vol/entry", $d, $i]'
	cfg --arg v "$vol" 'bind("/vol"; $v)'
	run_exploit ln -sfn /proc/self/exe "$vol/entry"
}

@test "exec: /proc/self/exe and the runtime's own path are refused as the command" {
	use_runtime_copy
	cfg 'args(["sleep", "1000"])'
	corral run -d "$CID" </dev/null >/dev/null
	track_pid "$(container_pid "$CID")"
	run --separate-stderr corral exec "$CID" /proc/self/exe --version
	assert_error "refusing to run the runtime binary"
	# The exec'd process cannot open the setup process's exe either: it is gone, and the
	# container's processes see only their own binaries.
	run corral exec "$CID" sh -c 'for f in /proc/[0-9]*/exe; do (exec 9<>"$f") 2>/dev/null && echo "OPENED-RW $f"; done; echo done'
	assert_status 0
	refute_line_matching OPENED
	assert_runtime_unchanged
}
