#!/bin/sh
# make-oci-image.sh ROOTFS NAME OUT.tar
#
# Packs ROOTFS (the integration busybox rootfs) into a single-layer OCI image archive that
# `ctr images import` reads: an OCI layout (oci-layout, index.json, blobs/sha256/...) as a tar,
# with the manifest for linux/amd64 named NAME through the io.containerd.image.name and
# org.opencontainers.image.ref.name annotations. Nothing is fetched: the layer is a tar of the
# tree, owned by root, with fixed timestamps, so the same rootfs gives the same digests.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 ROOTFS NAME OUT.tar" >&2; exit 2; }
rootfs=$1
name=$2
out=$3
[ -d "$rootfs/bin" ] || { echo "make-oci-image: $rootfs is not a rootfs" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/make-oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/layout/blobs/sha256"

tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .

/usr/bin/python3 -S - "$work" "$name" <<'EOF'
import hashlib, json, os, sys

work, name = sys.argv[1], sys.argv[2]
blobs = os.path.join(work, "layout", "blobs", "sha256")

def put(data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

with open(os.path.join(work, "layer.tar"), "rb") as f:
    layer = f.read()
layer_desc = put(layer, "application/vnd.oci.image.layer.v1.tar")

config = {
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": ["sh"],
        "WorkingDir": "/",
    },
    "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    "history": [{"created_by": "corral tests/integration/make-oci-image.sh"}],
}
config_desc = put(json.dumps(config, sort_keys=True).encode(),
                  "application/vnd.oci.image.config.v1+json")

manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": config_desc,
    "layers": [layer_desc],
}
manifest_desc = put(json.dumps(manifest, sort_keys=True).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
manifest_desc["platform"] = {"architecture": "amd64", "os": "linux"}
manifest_desc["annotations"] = {
    "io.containerd.image.name": name,
    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
}

index = {"schemaVersion": 2, "manifests": [manifest_desc]}
with open(os.path.join(work, "layout", "index.json"), "w") as f:
    json.dump(index, f, sort_keys=True)
with open(os.path.join(work, "layout", "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF

tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$work/layout" -cf "$out.tmp" .
mv "$out.tmp" "$out"
