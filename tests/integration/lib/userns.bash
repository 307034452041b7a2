# Helpers for suites with user namespaces: `load lib/userns` after lib/common.

HOST_BASE=100000

# userns [EDIT]: a new user namespace mapping 0..65535 to HOST_BASE.., rootfs owned accordingly.
userns() {
	update_config "ns('user')
lx['uidMappings'] = [{'containerID': 0, 'hostID': $HOST_BASE, 'size': 65536}]
lx['gidMappings'] = [{'containerID': 0, 'hostID': $HOST_BASE, 'size': 65536}]
${1:-}"
	chown -R "$HOST_BASE:$HOST_BASE" "$BUNDLE/rootfs"
	traversable "$BUNDLE"
}

# traversable DIR: the mapped root must be able to reach DIR, as with runc: bats' private temp
# directories (0700) get o+x up to /tmp.
traversable() {
	local d=$1
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}
