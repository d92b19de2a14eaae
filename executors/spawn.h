// spawn_child: starts one child process the way run_process wants it, with Boost.Process v1
// (bp::child, the vfork launcher posix::use_vfork, the std::error_code overload: nothing
// throws), and returns its pid and a pidfd. vfork: no copy of ordo's page tables, so the cost
// does not grow with ordo's memory. No asio, no bp::on_exit, no child.wait(): Boost installs no
// SIGCHLD machinery; the child is detach()ed at once and the caller watches it through a pidfd
// (pidfd_open on the unreaped child) and reaps it.
//
// The child (one bp::extend::handler, spawn.cpp; its on_exec_setup makes raw syscalls only):
// its own process group (pgid = pid); stdin from /dev/null (opened once per process),
// stdout/stderr on the given pipe ends; every other descriptor close-on-exec; signal
// dispositions that may differ from the default reset (see below), an empty signal mask;
// optionally another uid/gid/supplementary groups; optionally a working directory; then Boost's
// execve of the plan's exe/argv/envp. A failure before or in execve reaches the parent through
// Boost's error channel (the errno, in the executor's error_code, which the vfork child shares)
// plus a stage mark the child writes into shared memory before each step; the parent reaps the
// failed child before Boost's child object is destroyed (Boost's destructor could leave a
// zombie, toolchain.md pitfall 4).
//
// Signal dispositions: execve resets handled signals itself, but an ignored one survives, and a
// handler must not run in the vfork child (it would run on ordo's memory). Resetting all 64
// costs ~60 syscalls per spawn, so the child resets only the signals that were not SIG_DFL
// when ordo first spawned plus the ones ordo or its libraries change later (SIGINT, SIGTERM,
// SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1/2, SIGALRM, SIGWINCH). A signal whose disposition
// some library changes after the first spawn and that is outside that list would leak its
// SIG_IGN into children.
//
// Thread-safe: any number of threads may spawn at once. The calling thread's signals are
// blocked from before the vfork until Boost returns (the child unblocks before execve).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace ordo {

// Everything the child needs, prepared by the parent: the child only makes raw syscalls.
struct ChildPlan {
  const char* exe = nullptr;    // resolved path given to execve
  char* const* argv = nullptr;  // NULL-terminated, argv[0] as the user wrote it
  char* const* envp = nullptr;  // NULL-terminated "K=V" strings
  const char* cwd = nullptr;    // chdir here after switching user (nullptr: inherit)
  int stdout_fd = -1;           // write ends of the output pipes (become fds 1 and 2)
  int stderr_fd = -1;
  bool switch_user = false;  // setgroups/setgid/setuid below
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;  // supplementary groups (getgrouplist, computed before)
  size_t ngroups = 0;
};

// Where the child stopped before reaching its program.
// Pidfd: the child started but pidfd_open failed; it was SIGKILLed (with its group) and reaped.
enum class ChildStage : int { None = 0, Stdio = 1, SetUser = 2, Chdir = 3, Exec = 4, Pidfd = 5 };

struct Spawned {
  pid_t pid = -1;  // > 0: a child exists (it may already have exited, see stage)
  int pidfd = -1;  // O_CLOEXEC; owned by the caller (close it after reaping)
  int error = 0;   // pid <= 0: errno of vfork (stage None) or of the stage
  // != None: the child failed there and exited with 127 (Pidfd: was killed); it is reaped and
  // pid is -1.
  ChildStage stage = ChildStage::None;
};

Spawned spawn_child(const ChildPlan& plan);

}  // namespace ordo
