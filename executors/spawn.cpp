// spawn_child: clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) and the child's set-up before execve.
#include "spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace ordo {
namespace {

// Signals the child resets to SIG_DFL (see spawn.h): computed once, read-only afterwards.
struct ResetSignals {
  std::array<int, 64> sig{};
  int n = 0;
  ResetSignals() {
    const int always[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGTERM,
                          SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};
    bool want[NSIG] = {};
    for (int s : always) want[s] = true;
    for (int s = 1; s < NSIG; ++s) {
      if (s == SIGKILL || s == SIGSTOP) continue;
      struct sigaction sa {};
      if (::sigaction(s, nullptr, &sa) == 0 && sa.sa_handler != SIG_DFL) want[s] = true;
    }
    for (int s = 1; s < NSIG && n < static_cast<int>(sig.size()); ++s)
      if (want[s]) sig[static_cast<size_t>(n++)] = s;
  }
};

const ResetSignals& reset_signals() {
  static const ResetSignals r;
  return r;
}

// /dev/null for every child's stdin, opened once (O_CLOEXEC: dup2 in the child clears it).
int dev_null() {
  static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

// Shared between the parent and the vfork child (CLONE_VM): the child writes stage/err.
struct ChildArgs {
  const ChildPlan* plan;
  const ResetSignals* signals;
  int null_fd;
  volatile int stage;
  volatile int err;
};

[[noreturn]] void child_fail(ChildArgs* a, ChildStage stage) {
  a->err = errno;
  a->stage = static_cast<int>(stage);
  ::_exit(127);
}

// The child, between clone and execve: it runs on the parent's memory, so only syscalls (no
// malloc, no locks, no logging), and nothing it changes may outlive it except stage/err.
int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  const ChildPlan& p = *a->plan;
  // Own process group (pgid = pid): timeouts and cancellation signal the whole tree.
  ::setpgid(0, 0);
  // Default dispositions before the mask is emptied: ordo's handlers must not run here, and
  // an ignored signal (SIGPIPE...) would survive execve.
  for (int i = 0; i < a->signals->n; ++i)
    ::signal(a->signals->sig[static_cast<size_t>(i)], SIG_DFL);
  if (a->null_fd < 0 || ::dup2(a->null_fd, 0) < 0 || ::dup2(p.stdout_fd, 1) < 0 ||
      ::dup2(p.stderr_fd, 2) < 0)
    child_fail(a, ChildStage::Stdio);
  // No inherited descriptors beyond 0/1/2 (spdlog's log file, other threads' pipes...).
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (p.switch_user) {
    // Raw syscalls, not the glibc wrappers: glibc's setuid broadcasts to every thread it knows
    // of, which is wrong in a vfork child (it would signal the parent's threads). Groups and gid
    // while still root, uid last.
    if (::syscall(SYS_setgroups, p.ngroups, p.groups) != 0 || ::syscall(SYS_setgid, p.gid) != 0 ||
        ::syscall(SYS_setuid, p.uid) != 0)
      child_fail(a, ChildStage::SetUser);
  }
  // After switching user, so the directory is entered with the step user's permissions.
  if (p.cwd && ::chdir(p.cwd) != 0) child_fail(a, ChildStage::Chdir);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(p.exe, p.argv, p.envp);
  child_fail(a, ChildStage::Exec);
}

}  // namespace

Spawned spawn_child(const ChildPlan& plan) {
  Spawned r;
  ChildArgs args{&plan, &reset_signals(), dev_null(), 0, 0};
  // The child's stack: part of this frame, which the parent does not touch until the child
  // has exec'd or exited (CLONE_VFORK suspends us). Grows down.
  alignas(16) char stack[32 * 1024];
  sigset_t all, saved;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  int pidfd = -1;
  const pid_t pid = ::clone(child_main, stack + sizeof stack,
                            CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    r.error = clone_errno;
    return r;
  }
  if (args.stage != 0) {  // the child exited with 127 without reaching its program: reap it
    r.stage = static_cast<ChildStage>(args.stage);
    r.error = args.err;
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) ::close(pidfd);
    return r;
  }
  r.pid = pid;
  r.pidfd = pidfd;
  return r;
}

}  // namespace ordo
