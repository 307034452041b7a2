// CVE-2019-5736: until its execve, the container init runs corral's image,
// so /proc/<init>/exe (and /proc/self/exe of anything it execs through a
// "#!/proc/self/exe" line or a late symlink swap) is the runtime binary. A
// path check cannot close that; the binary itself must be unwritable. So
// `create`, `run` and `exec` execute once, before any container exists, from
// an image no one can write: the binary seen through a private read-only
// overlayfs of its directory (no copy; root only), else a memfd copy sealed
// with F_SEAL_WRITE.
#pragma once

namespace corral::runtime {

// True when this process already runs from such an image.
bool running_sealed();

// Re-executes the current command line from such an image of the running
// binary. Returns only on failure (errno set); the caller decides whether
// to go on unprotected.
void reexec_sealed(char** argv);

} // namespace corral::runtime
