// spawn_child on Boost.Process v1: bp::child with the vfork launcher (posix::use_vfork), the
// error_code overload (nothing throws) and one extend::handler that does the child's set-up.
// Pitfall numbers refer to shared/toolchain.md §4.

// Boost 1.74 compiles its vfork launcher out whenever _GNU_SOURCE is on (detail/config.hpp
// tests an old _XOPEN_SOURCE), so use_vfork alone fails to link; defining the macro first
// restores it. Only this TU includes Boost.Process.
#ifndef BOOST_POSIX_HAS_VFORK
#define BOOST_POSIX_HAS_VFORK 1
#endif

#include "spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <cerrno>
#include <system_error>

namespace ordo {
namespace {

namespace bp = boost::process;

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

// Blocks every signal in the spawning thread from before vfork until Boost returns, so no
// handler of ordo's runs in the vfork child (it would run on the parent's memory) before the
// child has reset the dispositions; the child empties its mask itself.
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~SignalBlock() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  sigset_t saved_{};
};

// Written by the vfork child (it shares our memory) just before each step that can fail, so
// the parent knows where it stopped; Boost's error channel carries the errno. volatile: the
// parent must re-read what the child wrote while the parent was suspended.
struct StageMark {
  volatile int stage = 0;
};

// The Boost.Process property that makes the child ours: exe/argv/envp from the plan, and the
// set-up between vfork and execve.
struct ChildSetup : bp::extend::handler {
  const ChildPlan* plan;
  const ResetSignals* signals;
  int null_fd;
  StageMark* mark;

  ChildSetup(const ChildPlan* p, const ResetSignals* s, int null, StageMark* m)
      : plan(p), signals(s), null_fd(null), mark(m) {}

  // Parent, before vfork. No exe/args property is given to bp::child, so these are the only
  // values: argv[0] stays as the user wrote it, the environment is exactly the plan's.
  template <class Exec>
  void on_setup(Exec& e) const {
    e.exe = plan->exe;
    e.cmd_line = plan->argv;
    e.env = const_cast<char**>(plan->envp);
  }

  // Child, between vfork and execve: it runs on the parent's memory and stack, so raw
  // syscalls only (no malloc, no locks, no logging); nothing it changes may outlive it except
  // the stage mark and Boost's error_code.
  template <class Exec>
  void on_exec_setup(Exec& e) const {
    const ChildPlan& p = *plan;
    // Own process group (pgid = pid): timeouts and cancellation signal the whole tree.
    ::setpgid(0, 0);
    // Default dispositions before the mask is emptied: ordo's handlers must not run here, and
    // an ignored signal (SIGPIPE...) would survive execve.
    for (int i = 0; i < signals->n; ++i) ::signal(signals->sig[static_cast<size_t>(i)], SIG_DFL);
    mark->stage = static_cast<int>(ChildStage::Stdio);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(p.stdout_fd, 1) < 0 ||
        ::dup2(p.stderr_fd, 2) < 0)
      fail(e);
    // No inherited descriptors beyond 0/1/2 (spdlog's log file, other threads' pipes...);
    // pitfall 6: CLOEXEC rather than close.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (p.switch_user) {
      // Raw syscalls, not the glibc wrappers: glibc's setuid broadcasts to every thread it
      // knows of, which is wrong in a vfork child (it would signal the parent's threads).
      // Groups and gid while still root, uid last.
      mark->stage = static_cast<int>(ChildStage::SetUser);
      if (::syscall(SYS_setgroups, p.ngroups, p.groups) != 0 || ::syscall(SYS_setgid, p.gid) != 0 ||
          ::syscall(SYS_setuid, p.uid) != 0)
        fail(e);
    }
    // After switching user, so the directory is entered with the step user's permissions.
    if (p.cwd) {
      mark->stage = static_cast<int>(ChildStage::Chdir);
      if (::chdir(p.cwd) != 0) fail(e);
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Boost calls execve(e.exe, e.cmd_line, e.env) next.
    mark->stage = static_cast<int>(ChildStage::Exec);
  }

  // Child, execve failed: Boost has already put its errno into the executor's error_code (the
  // parent sees it through bp::error). Leave with the status the ChildPlan contract names.
  template <class Exec>
  void on_exec_error(Exec&, const std::error_code&) const {
    ::_exit(127);
  }

  // Parent, the launch failed. After vfork returned, that means the child failed and has
  // exited (or is exiting): reap it here and hand its status to Boost's child object, whose
  // destructor would otherwise waitpid(WNOHANG), possibly before the exit completes, and then
  // SIGKILL and leave a zombie (pitfall 4).
  template <class Exec>
  void on_error(Exec& e, const std::error_code&) const {
    if (e.pid <= 0) return;  // on_setup or vfork itself failed: no child
    int st = 0;
    while (::waitpid(e.pid, &st, 0) < 0 && errno == EINTR) {
    }
    e.exit_status->store(st);
  }

 private:
  // Reports the current stage's errno through Boost's error channel (in vfork mode with an
  // error handler, set_error only assigns the executor's error_code and message: no allocation
  // for an empty message) and leaves.
  template <class Exec>
  [[noreturn]] static void fail(Exec& e) {
    e.set_error(std::error_code(errno, std::system_category()), "");
    ::_exit(127);
  }
};

}  // namespace

Spawned spawn_child(const ChildPlan& plan) {
  Spawned r;
  StageMark mark;
  std::error_code ec;
  pid_t pid = -1;
  {
    ChildSetup setup(&plan, &reset_signals(), dev_null(), &mark);
    SignalBlock blocked;
    bp::child c(setup, bp::posix::use_vfork, ec);
    if (!ec) {
      pid = c.id();
      c.detach();  // the poll loop reaps it; no Boost wait, no SIGCHLD machinery
    }
  }
  if (ec) {  // the child (if any) is reaped: on_error above
    r.error = ec.value();
    const int stage = mark.stage;
    r.stage = static_cast<ChildStage>(stage);
    return r;
  }
  // Our unreaped child (a zombie at worst), so the pid cannot have been reused.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    r.error = errno;
    ::kill(-pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.stage = ChildStage::Pidfd;
    return r;
  }
  r.pid = pid;
  r.pidfd = pidfd;
  return r;
}

}  // namespace ordo
