// OCI lifecycle hooks (prestart, createRuntime, createContainer,
// startContainer, poststart, poststop).
//
// Both functions are safe to call in the parent and in the forked,
// single-threaded container child: they fork()+execve, start no threads, do
// not log, and never throw. They return only after the hook is reaped.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

// Runs one hook: execve(path, args or {path}, env exactly) with the state JSON
// on its stdin and its stdout+stderr captured (the last 4 KiB are kept for the
// error message). `kind` names the hook in errors ("createRuntime"). With a
// timeout the hook's process group is SIGKILLed when it expires. A non-zero
// exit, death by a signal, a timeout or a failed exec is an error such as
// "createRuntime hook /usr/bin/x: exited with status 3: <output>".
//
// The hook runs in its own process group, with default signal dispositions
// and an empty signal mask. The caller must not reap it behind our back (no
// SIGCHLD set to SIG_IGN, no waitpid(-1) on another thread).
Status run_hook(const spec::Hook& hook, std::string_view state_json, const char* kind) noexcept;

// Runs hooks in order and stops at the first failure, as the spec requires.
Status run_hooks(const std::vector<spec::Hook>& hooks, std::string_view state_json,
                 const char* kind) noexcept;

} // namespace corral::runtime
