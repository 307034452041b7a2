# Helpers for containerd.bats: containerd, through its runc v2 shim (the path the CRI plugin and
# so Kubernetes use), drives corral or runc. `load lib/containerd` after lib/common.
#
# setup_file starts a private containerd: root, state, sockets and config in $CTRD_DIR (a short
# /tmp dir: socket paths are limited to 108 bytes), the CRI plugin and everything that needs the
# network or /opt disabled. Its events stream goes to $CTRD_EVENTS (the exit statuses the tests
# check are the /tasks/exit events the CRI plugin itself consumes). The busybox rootfs is made
# into an OCI image (make-oci-image.sh) and imported into the namespace $CTRD_NS, private to
# this file's run. Containers get linux.cgroupsPath /$CTRD_NS/<id> from ctr's default spec.
#
# The runtime is chosen per container with --runc-binary, and its state root is
# $CTRD_DIR/runtime-root/<runtime> (--runc-root) rather than /run/containerd/runc. The shim's
# own sockets are in /run/containerd/s whatever the config says (containerd 1.6 hardcodes it).
#
# Each test's teardown removes the containers it left and fails if anything remains: a shim of
# this containerd, a mount under $CTRD_DIR, a cgroup under /$CTRD_NS, runtime state. teardown_file
# removes the image, checks containerd's snapshots and content are gone, stops containerd and
# the events listener (by their recorded pids) and removes $CTRD_DIR.

# The path the shim runs corral by: $CORRAL installed as /usr/local/bin/corral, or
# CORRAL_RUNTIME_PATH as given (the sanitizer lane gives a wrapper of its sanitized build).
CTRD_CORRAL=${CORRAL_RUNTIME_PATH:-/usr/local/bin/corral}
CTRD_RUNC=/usr/sbin/runc
CTRD_IMAGE=localhost/corral-test/busybox:latest
# Upper bound for one ctr invocation; a hang becomes a failure.
CTRD_TIMEOUT=${CTRD_TIMEOUT:-60}

# ---- containerd ----------------------------------------------------------------------------

ctrd_setup_file() {
	common_setup_file
	[ "$(id -u)" -eq 0 ] || skip "needs root: containers are created for real"
	local b
	for b in containerd ctr containerd-shim-runc-v2 script "$CTRD_RUNC"; do
		command -v "$b" >/dev/null || skip "$b is not installed (scripts/deps.sh --test installs it)"
	done
	# The shim runs the runtime by this path. Replaced with a rename, and only when it differs:
	# another suite may be running the installed binary right now.
	if [ -n "${CORRAL_RUNTIME_PATH:-}" ]; then
		[ -x "$CTRD_CORRAL" ] || fail "CORRAL_RUNTIME_PATH $CTRD_CORRAL is not executable"
	elif ! cmp -s "$CORRAL" "$CTRD_CORRAL"; then
		install -m755 "$CORRAL" "$CTRD_CORRAL.tmp.$$" && mv -f "$CTRD_CORRAL.tmp.$$" "$CTRD_CORRAL" ||
			fail "could not install $CORRAL as $CTRD_CORRAL"
	fi

	CTRD_DIR=$(mktemp -d /tmp/corral-ctrd.XXXXXX)
	CTRD_SOCK=$CTRD_DIR/containerd.sock
	CTRD_NS=corral-test-$$
	CTRD_EVENTS=$CTRD_DIR/events.log
	export CTRD_DIR CTRD_SOCK CTRD_NS CTRD_EVENTS
	# containerd creates /run/containerd (shim sockets, default fifo dir) when it is missing;
	# teardown_file removes it again then.
	[ -e /run/containerd ] || : >"$CTRD_DIR/created-run-containerd"
	mkdir -p "$CTRD_DIR/fifo" "$CTRD_DIR/runtime-root"

	cat >"$CTRD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTRD_DIR/root"
		state = "$CTRD_DIR/state"
		# No CRI (it wants CNI and a registry), no /opt/containerd, no snapshotters this host
		# cannot have, no tracing exporter. (The tasks service needs the v1 runtime plugin too,
		# whose state is in this root and state as well.)
		disabled_plugins = [
		  "io.containerd.grpc.v1.cri",
		  "io.containerd.internal.v1.opt",
		  "io.containerd.internal.v1.tracing",
		  "io.containerd.tracing.processor.v1.otlp",
		  "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.snapshotter.v1.zfs",
		]
		[grpc]
		  address = "$CTRD_SOCK"
		[ttrpc]
		  address = "$CTRD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins."io.containerd.runtime.v2.task"]
		  platforms = ["linux/amd64"]
	EOF
	containerd --config "$CTRD_DIR/config.toml" </dev/null >"$CTRD_DIR/containerd.log" 2>&1 3>&- &
	echo "$! $(proc_starttime $!)" >"$CTRD_DIR/containerd.pid"
	retry 100 0.1 ctrd version >/dev/null 2>&1 ||
		fail "containerd did not answer on $CTRD_SOCK within 10 s:" "$(cat "$CTRD_DIR/containerd.log")"

	ctr --address "$CTRD_SOCK" events </dev/null >"$CTRD_EVENTS" 2>"$CTRD_DIR/events.err" 3>&- &
	echo "$! $(proc_starttime $!)" >"$CTRD_DIR/events.pid"

	"$INTEGRATION_DIR/make-oci-image.sh" "$ROOTFS_CACHE" "$CTRD_IMAGE" "$CTRD_DIR/image.tar"
	ctrd images import "$CTRD_DIR/image.tar" >/dev/null || fail "ctr images import failed"
	rm -f "$CTRD_DIR/image.tar"
}

# _stop_recorded PIDFILE: SIGTERM (SIGKILL after 10 s) to the process recorded in PIDFILE, if it
# is still the same process.
_stop_recorded() {
	local pid st
	read -r pid st <"$1" 2>/dev/null || return 0
	pid_alive "$pid" "$st" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	retry 100 0.1 _pid_gone "$pid" "$st" || kill -KILL "$pid" 2>/dev/null || true
	wait_pid_gone "$pid" "$st"
}

ctrd_teardown_file() {
	[ -n "${CTRD_DIR:-}" ] && [ -d "$CTRD_DIR" ] || return 0
	local problems=() out d
	if [ -S "$CTRD_SOCK" ]; then
		_ctrd_remove_containers
		ctrd images rm --sync "$CTRD_IMAGE" >/dev/null 2>&1 || problems+=("ctr images rm failed")
		out=$(ctrd snapshots ls 2>&1 | tail -n +2)
		[ -z "$out" ] || problems+=("snapshots left after the image was removed:" "$out")
		out=$(ctrd content ls -q 2>&1)
		[ -z "$out" ] || problems+=("content left after the image was removed:" "$out")
		ctrd namespaces rm "$CTRD_NS" >/dev/null 2>&1 || problems+=("namespace $CTRD_NS is not empty")
	fi
	_stop_recorded "$CTRD_DIR/events.pid" || problems+=("ctr events did not stop")
	_stop_recorded "$CTRD_DIR/containerd.pid" || problems+=("containerd did not stop")
	mapfile -t -O ${#problems[@]} problems < <(_ctrd_leaks 1)
	# The parent group of every container, made by the runtime, stays (runc never removes it);
	# it must be empty now.
	for d in $(_ctrd_ns_cgroups); do
		rmdir "$d" 2>/dev/null || problems+=("cgroup $d could not be removed")
	done
	# The shims' sockets are gone with them: what containerd made in /run/containerd is empty.
	if [ -e "$CTRD_DIR/created-run-containerd" ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc /run/containerd 2>/dev/null || true
		[ ! -e /run/containerd ] || problems+=("left in /run/containerd:" "$(find /run/containerd 2>&1)")
	fi
	if grep -qF " $CTRD_DIR/" /proc/self/mountinfo; then
		problems+=("mounts under $CTRD_DIR remain; $CTRD_DIR is left in place")
	else
		rm -rf "$CTRD_DIR"
	fi
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}

# ctrd ARGS...: ctr on this file's containerd and namespace; stdin is /dev/null and fd 3 (bats'
# own output) closed, so that neither ctr nor a shim can keep bats waiting.
ctrd() {
	timeout -k 5 "$CTRD_TIMEOUT" ctr --address "$CTRD_SOCK" -n "$CTRD_NS" "$@" </dev/null 3>&-
}
# ctrd_stdin ARGS...: the same with the caller's stdin.
ctrd_stdin() {
	timeout -k 5 "$CTRD_TIMEOUT" ctr --address "$CTRD_SOCK" -n "$CTRD_NS" "$@" 3>&-
}

# rt_use RUNTIME: the runtime binary the shim runs for the containers this test makes. Sets RT
# (the binary), RT_OPTS (`ctr run` options naming it and its state root) and FIFO (the fifo dir
# option, which `ctr task exec` takes as well).
rt_use() {
	RT=$1
	RT_ROOT=$CTRD_DIR/runtime-root/${RT##*/}
	FIFO=(--fifo-dir "$CTRD_DIR/fifo")
	RT_OPTS=(--runc-binary "$RT" --runc-root "$RT_ROOT" "${FIFO[@]}")
}

# ctrd_id NAME: a container id, recorded for teardown.
ctrd_id() {
	local id=$1-$BATS_TEST_NUMBER
	echo "$id" >>"$BATS_TEST_TMPDIR/.ctrd-ids"
	echo "$id"
}

# run_detached ID COMMAND...: `ctr run -d` with the runtime of rt_use; the container's stdout goes
# to out_of ID (the shim's file log URI). Returns once the task is RUNNING.
run_detached() {
	local id=$1
	shift
	ctrd run -d "${RT_OPTS[@]}" --log-uri "file://$(out_of "$id")" "$CTRD_IMAGE" "$id" "$@" ||
		fail "ctr run -d $id failed"
	wait_task_status "$id" RUNNING
}
out_of() { echo "$BATS_TEST_TMPDIR/$1.out"; }

# task_field ID pid|status: from `ctr task ls`.
task_field() {
	local t pid st
	while read -r t pid st; do
		[ "$t" = "$1" ] || continue
		case $2 in pid) echo "$pid" ;; status) echo "$st" ;; esac
		return 0
	done < <(ctrd task ls 2>/dev/null)
	return 1
}
_task_has_status() { [ "$(task_field "$1" status)" = "$2" ]; }
wait_task_status() {
	retry 100 0.05 _task_has_status "$1" "$2" ||
		fail "task $1 did not reach status $2 (now: $(task_field "$1" status || echo none))" \
			"$(ctrd task ls 2>&1)"
}

# exit_status ID [EXEC_ID]: exit_status of the /tasks/exit event of the task's init (or of the
# exec'd process EXEC_ID), waiting 5 s for it. (The event's JSON leaves out a zero status.)
_exit_event() {
	local ev
	ev=$(grep -F " $CTRD_NS /tasks/exit " "$CTRD_EVENTS" |
		grep -F "\"container_id\":\"$1\",\"id\":\"$2\"," | tail -n1)
	[ -n "$ev" ] || return 0
	[[ "$ev" =~ \"exit_status\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}
_has_exit_event() { [ -n "$(_exit_event "$@")" ]; }
exit_status() {
	retry 100 0.05 _has_exit_event "$1" "${2:-$1}" ||
		fail "no /tasks/exit event for $1 ${2:-}:" "$(grep -F "\"$1\"" "$CTRD_EVENTS")"
	_exit_event "$1" "${2:-$1}"
}

# remove_container ID: kills the task if it still runs, deletes it and the container.
remove_container() {
	local st
	st=$(task_field "$1" status) || st=
	if [ -n "$st" ]; then
		[ "$st" = STOPPED ] || ctrd task kill -s SIGKILL "$1" >/dev/null 2>&1 || true
		retry 100 0.05 _task_has_status "$1" STOPPED || true
		ctrd task rm -f "$1" >/dev/null 2>&1 || true
	fi
	ctrd containers rm "$1" >/dev/null 2>&1 || true
}

# The v2 shim is a daemon (reparented away from containerd): it is found by the containerd
# address on its command line.
_ctrd_shims() {
	local f
	for f in $(grep -laF -- "$CTRD_SOCK" /proc/[0-9]*/cmdline 2>/dev/null); do
		f=${f#/proc/}
		f=${f%/cmdline}
		grep -qaF containerd-shim "/proc/$f/cmdline" 2>/dev/null && pid_alive "$f" && echo "$f"
	done
	return 0
}
_no_shims() { [ -z "$(_ctrd_shims)" ]; }

# Groups of this namespace in every hierarchy: the parents, and the containers' below them.
_ctrd_ns_cgroups() {
	find "$CGROUP_ROOT" -mindepth 1 -maxdepth 2 -type d -name "$CTRD_NS" 2>/dev/null
}
_ctrd_container_cgroups() {
	find "$CGROUP_ROOT" -mindepth 2 -maxdepth 4 -type d -path "*/$CTRD_NS/*" 2>/dev/null
}

# _ctrd_leaks [CLEANUP]: one line per thing of this file's containers still there (shims, then
# the processes and groups below /$CTRD_NS, mounts under $CTRD_DIR, runtime state); with
# CLEANUP, removes each after reporting it.
_ctrd_leaks() {
	local p d m
	if ! retry 100 0.05 _no_shims; then
		for p in $(_ctrd_shims); do
			echo "shim $p still running: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
			[ -z "${1:-}" ] || kill -KILL "$p" 2>/dev/null || true
		done
	fi
	for d in $(_ctrd_container_cgroups | sort -r); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "process $p still in $d"
			[ -z "${1:-}" ] || kill -KILL "$p" 2>/dev/null || true
		done
		echo "cgroup $d left behind"
		[ -z "${1:-}" ] || retry 20 0.1 rmdir "$d" 2>/dev/null || true
	done
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep -F "$CTRD_DIR/" | sort -r); do
		echo "mount on $m left behind"
		[ -z "${1:-}" ] || umount -l "$m" 2>/dev/null || true
	done
	for d in "$CTRD_DIR"/runtime-root/*/"$CTRD_NS"/*; do
		[ -e "$d" ] || continue
		echo "runtime state $d left behind"
		[ -z "${1:-}" ] || rm -rf "$d"
	done
	return 0
}

_ctrd_remove_containers() {
	local id
	for id in $(ctrd containers ls -q 2>/dev/null); do remove_container "$id"; done
}

ctrd_setup() {
	[ -n "${CTRD_DIR:-}" ] || fail "setup_file did not start containerd"
	: >"$BATS_TEST_TMPDIR/.ctrd-ids"
	RT=
}

# Removes what the test left (a failed test stops half-way) and fails if anything of its
# containers remains once they are deleted.
ctrd_teardown() {
	[ -n "${CTRD_DIR:-}" ] || return 0
	local problems=() left
	_ctrd_remove_containers
	mapfile -t problems < <(_ctrd_leaks 1)
	left=$(ctrd containers ls -q 2>&1)
	[ -z "$left" ] || problems+=("containers that could not be removed: $left")
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}
