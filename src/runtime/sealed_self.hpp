// CVE-2019-5736: until its execve, the container init runs corral's image,
// so /proc/<init>/exe (and /proc/self/exe of anything it execs through a
// "#!/proc/self/exe" line or a late symlink swap) is the runtime binary. A
// path check cannot close that; the binary itself must be unwritable. So
// `create`, `run` and `exec` execute once from a sealed memfd copy of corral, whose
// F_SEAL_WRITE makes every write-open fail, before any container exists.
#pragma once

namespace corral::runtime {

// True when this process already runs from a write-sealed memfd.
bool running_sealed();

// Re-executes the current command line from a sealed memfd copy of the
// running binary. Returns only on failure (errno set); the caller decides
// whether to go on unprotected.
void reexec_sealed(char** argv);

} // namespace corral::runtime
