// tmpcopyup (runc's mount option, which podman puts on every tmpfs it asks
// for): a tmpfs mounted over a directory of the image starts with a copy of
// what the directory held. Child-safe: no heap, fd-relative throughout, never
// follows a symlink of the image.
#pragma once

namespace corral::ns {

// Copies the tree below directory fd `from` into directory fd `to`: files,
// directories, symlinks and device nodes with their owners and modes.
// Returns false after child_fail().
bool copy_tree(int from, int to, const char* shown);

} // namespace corral::ns
