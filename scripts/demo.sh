#!/bin/sh
# Builds corral, makes a busybox bundle in ./demo and runs a container that
# prints its hostname, its pid and its namespace inodes next to the host's.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
rm -rf demo && mkdir -p demo
tests/integration/make-rootfs.sh "$PWD/demo/rootfs" "$PWD/build/tests/corral-probe" >/dev/null
corral spec -b demo
python3 - demo/config.json <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["sh", "-c",
    'echo "hostname: $(hostname)"; echo "pid:      $$"; echo; '
    'printf "%-8s %-12s %s\\n" ns container host; '
    'for n in pid mnt net ipc uts cgroup; do '
    'printf "%-8s %-12s %s\\n" $n $(readlink /proc/self/ns/$n | tr -dc 0-9) $(cat /host-ns/$n); done']
c["mounts"].append({"destination": "/host-ns", "type": "bind", "source": "host-ns",
                    "options": ["rbind", "ro"]})
json.dump(c, open(path, "w"), indent=2)
PY
mkdir -p demo/host-ns
for n in pid mnt net ipc uts cgroup; do readlink /proc/self/ns/$n | tr -dc 0-9 > demo/host-ns/$n; done
corral run -b demo demo-$$
