// run_process on Boost.Process v1 and asio: the only file in ordo that spawns processes.
// Pitfall numbers refer to shared/toolchain.md §4.
#include "process.h"

// Spawning with vfork instead of fork: off by default (build with -DORDO_SPAWN_VFORK to try it).
// Boost 1.74 compiles its vfork launcher out whenever _GNU_SOURCE is on (config.hpp tests an
// old _XOPEN_SOURCE), so use_vfork alone fails to link; defining the macro restores it.
#if defined(ORDO_SPAWN_VFORK) && !defined(BOOST_POSIX_HAS_VFORK)
#define BOOST_POSIX_HAS_VFORK 1
#endif

#include "asio.hpp"  // first: <utility> before any asio header (pitfall 1)

#include <boost/process/async.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#ifdef ORDO_SPAWN_VFORK
#include <boost/process/posix.hpp>
#endif

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <system_error>

extern char** environ;

namespace ordo {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process;

constexpr size_t kMaxLine = 64 * 1024;                            // longer lines come in pieces
constexpr auto kDrainAfterExit = std::chrono::milliseconds(500);  // escapees holding a pipe

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// ---- The child side -------------------------------------------------------------------------

// Everything the child needs between fork and execve, prepared by the parent: the child may
// only make async-signal-safe calls (no malloc, no logging, no locks).
struct ChildPlan {
  const char* exe = nullptr;    // resolved path given to execve
  char* const* argv = nullptr;  // NULL-terminated, argv[0] as the user wrote it
  char** envp = nullptr;        // NULL-terminated "K=V" strings
  const char* cwd = nullptr;    // chdir here after switching user (nullptr: inherit)
  bool switch_user = false;     // setgroups/setgid/setuid below
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;  // supplementary groups (getgrouplist, computed pre-fork)
  size_t ngroups = 0;
  int report_fd = -1;  // write end of our failure pipe (O_CLOEXEC)
};

// What the child writes to report_fd before _exit(127) when it cannot reach execve.
enum class ChildStage : int { SetUser = 1, Chdir = 2, Exec = 3 };
struct ChildFailure {
  int stage = 0;
  int err = 0;
};

[[noreturn]] void child_fail(int fd, ChildStage stage, int err) {
  ChildFailure f{static_cast<int>(stage), err};
  (void)!::write(fd, &f, sizeof f);  // one small write to a pipe: atomic
  ::_exit(127);
}

// Blocks every signal in the spawning thread from before fork until Boost returns, so no
// signal handler of ordo's can run in the child before it has reset the dispositions (with
// vfork such a handler would run on the parent's memory). restore() or the destructor undo it.
struct SignalBlock {
  sigset_t saved{};
  bool active = false;
  SignalBlock() = default;
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  ~SignalBlock() { restore(); }
  void block() {
    sigset_t all;
    ::sigfillset(&all);
    active = ::pthread_sigmask(SIG_SETMASK, &all, &saved) == 0;
  }
  void restore() {
    if (active) ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    active = false;
  }
};

// A Boost.Process property: overrides argv/envp and runs our setup in the child.
struct ChildSetup : bp::extend::handler {
  const ChildPlan* plan;
  SignalBlock* signals;
  ChildSetup(const ChildPlan* p, SignalBlock* s) : plan(p), signals(s) {}

  // Parent, before fork. Runs after Boost's own exe/args initialiser, so these win: argv[0]
  // stays as written (not the resolved path), and the environment is exactly ours.
  template <class Exec>
  void on_setup(Exec& e) const {
    e.exe = plan->exe;
    e.cmd_line = plan->argv;
    e.env = plan->envp;
    signals->block();  // the child starts with all signals blocked; it unblocks before execve
  }

  // Child, between fork and execve: async-signal-safe calls only.
  template <class Exec>
  void on_exec_setup(Exec&) const {
    // Own process group (pgid = pid): timeouts and cancellation signal the whole tree.
    ::setpgid(0, 0);
    // Default dispositions: an ignored signal (SIGPIPE, SIGCHLD...) would survive execve.
    for (int s = 1; s < NSIG; ++s)
      if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
    // Empty signal mask (after the dispositions are default): the mask survives execve, and
    // on_setup blocked everything.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // No inherited descriptors beyond 0/1/2: Boost's pipes, spdlog's log file and other
    // threads' pipes are not O_CLOEXEC (pitfall 6). CLOEXEC rather than close, so Boost's
    // exec-error pipe and ours still report a failing execve.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (plan->switch_user) {
      // Raw syscalls, not the glibc wrappers: glibc's setuid broadcasts to every thread it
      // knows of, which is wrong in a vfork child (it would see the parent's threads). The
      // order matters: groups and gid while we are still root, uid last.
      if (::syscall(SYS_setgroups, plan->ngroups, plan->groups) != 0 ||
          ::syscall(SYS_setgid, plan->gid) != 0 || ::syscall(SYS_setuid, plan->uid) != 0)
        child_fail(plan->report_fd, ChildStage::SetUser, errno);
    }
    // After switching user, so the directory is entered with the step user's permissions.
    if (plan->cwd && ::chdir(plan->cwd) != 0) child_fail(plan->report_fd, ChildStage::Chdir, errno);
  }

  // Child, execve failed: report through our pipe (with our stage) and exit.
  template <class Exec>
  void on_exec_error(Exec&, const std::error_code& ec) const {
    child_fail(plan->report_fd, ChildStage::Exec, ec.value());
  }

  // Parent, Boost reported an error after fork: make sure no child is left running or unreaped.
  template <class Exec>
  void on_error(Exec& e, const std::error_code&) const {
    if (e.pid <= 0) return;
    ::kill(e.pid, SIGKILL);
    int st = 0;
    while (::waitpid(e.pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
};

// ---- The parent side -------------------------------------------------------------------------

// Finds argv0 on PATH like execvp; a name with a '/' is used as is (execve reports problems).
Result<std::string> resolve_exe(const std::string& argv0, const std::string& path) {
  if (argv0.find('/') != std::string::npos) return argv0;
  bool denied = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + argv0;
    struct stat st {};
    if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(cand.c_str(), X_OK) == 0) return cand;
      denied = true;
    }
    start = end + 1;
  }
  return make_error("cannot run '" + argv0 + "': " + errno_text(denied ? EACCES : ENOENT) +
                    " (searched PATH=" + path + ")");
}

// One output stream of the child: the async read loop, line splitting, capture.
struct Stream {
  Stream(asio::io_context& ioc, OutputStream w) : pipe(ioc), which(w) {}
  bp::async_pipe pipe;
  OutputStream which;
  std::array<char, 64 * 1024> buf{};
  std::string partial;             // the current line so far
  std::string* capture = nullptr;  // where to keep the first `limit` bytes (nullptr: don't)
  bool* truncated = nullptr;
  bool open = true;  // until EOF or close
};

class Run {
 public:
  Run(const ProcessSpec& spec, ProcessResult& r)
      : spec_(spec), r_(r), out_(ioc_, OutputStream::Stdout), err_(ioc_, OutputStream::Stderr) {
    out_.capture = &r_.stdout_text;
    out_.truncated = &r_.stdout_truncated;
    if (spec_.capture_stderr) {
      err_.capture = &r_.stderr_text;
      err_.truncated = &r_.stderr_truncated;
    }
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // No zombies, no orphans: if we unwind (on_line threw) before the child was reaped, kill
  // the group and reap the leader here; ~child() then finds nothing left to do.
  ~Run() {
    if (pid_ > 0 && !exited_) {
      kill_group(SIGKILL);
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // report[0]/[1]: the failure pipe; execute closes the write end once the child exists.
  void execute(const ChildPlan& plan, int (&report)[2]) {
    std::error_code ec;
    const auto t0 = Clock::now();
    SignalBlock signals;
    ChildSetup setup(&plan, &signals);
    bp::child child(bp::exe = plan.exe,         // replaced by ChildSetup::on_setup (with argv)
                    (bp::std_in < bp::null),    // stdin is /dev/null: a prompt fails, never hangs
                    (bp::std_out > out_.pipe),  // read by read(out_), line by line
                    (bp::std_err > err_.pipe),  // read by read(err_)
                    ioc_,  // the exit is reported through ioc_ (SIGCHLD service)
                    // Called once the leader is reaped (never use wait_for: pitfall 3).
                    bp::on_exit([this, t0](int, const std::error_code& e) { on_exit(t0, e); }),
                    setup,  // own group, signals, descriptors, user, cwd: see ChildSetup
#ifdef ORDO_SPAWN_VFORK
                    bp::posix::use_vfork,  // parent waits until the child exec'd or exited
#endif
                    ec);  // errors as data, not process_error exceptions
    signals.restore();
    ::close(report[1]);  // only the child's copy may remain, or the read never sees EOF
    report[1] = -1;
    if (ec || !child.valid()) {  // pipe/fork failed; ChildSetup::on_error reaped any child
      r_.spawn_error = "cannot run '" + spec_.argv[0] + "': " +
                       (ec ? ec.message() : std::string("the process could not be created"));
      return;
    }
    pid_ = child.id();
    // Boost returned once the child exec'd or exited, so a failure report is already there.
    ChildFailure f;
    ssize_t n;
    while ((n = ::read(report[0], &f, sizeof f)) < 0 && errno == EINTR) {
    }
    const bool failed = n == static_cast<ssize_t>(sizeof f);

    if (!failed) {
      if (spec_.deadline) {
        deadline_.expires_at(*spec_.deadline);
        deadline_.async_wait([this](const boost::system::error_code& e) {
          if (!e) terminate(&r_.timed_out);
        });
      }
      read(out_);
      read(err_);
    } else {
      close_pipes();  // the child wrote nothing; only its exit is left to collect
      out_.open = err_.open = false;
    }
    {
      // Cancellation from any thread: hop onto our io thread.
      std::stop_callback on_stop(
          spec_.stop, [this] { asio::post(ioc_, [this] { terminate(&r_.cancelled); }); });
      ioc_.run();
    }
    // The raw wait status (pitfall 5: exit_code() says 9 both for `exit 9` and SIGKILL).
    const int st = child.native_exit_code();
    if (WIFEXITED(st)) {
      r_.exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      r_.signal = WTERMSIG(st);
    } else if (r_.wait_error.empty()) {
      r_.wait_error = "no exit status collected";
    }
    if (failed) {
      r_.spawn_error = failure_text(f);
      r_.exit_code = -1;
      return;
    }
    r_.started = true;
  }

 private:
  std::string failure_text(const ChildFailure& f) const {
    const std::string why = errno_text(f.err);
    switch (static_cast<ChildStage>(f.stage)) {
      case ChildStage::SetUser:
        return "cannot switch to user '" + spec_.run_as.user + "' (uid " +
               std::to_string(spec_.run_as.uid) + ", gid " + std::to_string(spec_.run_as.gid) +
               "): " + why;
      case ChildStage::Chdir:
        return "cannot chdir to " + spec_.run_as.cwd + ": " + why;
      case ChildStage::Exec:
        break;
    }
    return "cannot run '" + spec_.argv[0] + "': " + why;
  }

  void kill_group(int sig) const {
    if (pid_ > 1) ::kill(-pid_, sig);  // never kill(0) or kill(-1)
  }

  // Deadline or stop: SIGTERM to the group, SIGKILL after kill_grace unless it exits first.
  void terminate(bool* reason) {
    if (exited_ || terminating_) return;
    terminating_ = true;
    *reason = true;
    kill_group(SIGTERM);
    kill_group(SIGCONT);  // a stopped process only sees SIGTERM once continued
    grace_.expires_after(spec_.kill_grace);
    grace_.async_wait([this](const boost::system::error_code& e) {
      if (e || exited_) return;
      r_.killed = true;
      kill_group(SIGKILL);
    });
  }

  void on_exit(Clock::time_point t0, const std::error_code& e) {
    exited_ = true;
    r_.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - t0);
    if (e) r_.wait_error = e.message();
    kill_group(SIGKILL);  // the leader is gone: its orphans go with it
    deadline_.cancel();
    grace_.cancel();
    if (out_.open || err_.open) {
      // Remaining writers are dying; one that escaped the group (setsid) may hold a pipe
      // forever, so stop waiting after a short drain.
      drain_.expires_after(kDrainAfterExit);
      drain_.async_wait([this](const boost::system::error_code& e2) {
        if (!e2) close_pipes();
      });
    }
  }

  void close_pipes() {
    boost::system::error_code ignored;
    out_.pipe.close(ignored);
    err_.pipe.close(ignored);
  }

  void read(Stream& s) {
    s.pipe.async_read_some(asio::buffer(s.buf),
                           [this, &s](const boost::system::error_code& e, size_t n) {
                             if (n > 0) consume(s, std::string_view(s.buf.data(), n));
                             if (!e) return read(s);
                             // EOF, or closed by the drain timer.
                             if (!s.partial.empty()) emit(s, s.partial);
                             s.partial.clear();
                             s.open = false;
                             if (!out_.open && !err_.open) drain_.cancel();
                           });
  }

  void consume(Stream& s, std::string_view chunk) {
    if (s.capture) {
      const size_t room = spec_.capture_limit - std::min(spec_.capture_limit, s.capture->size());
      s.capture->append(chunk.substr(0, room));
      if (chunk.size() > room) *s.truncated = true;
    }
    while (!chunk.empty()) {
      const size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        s.partial.append(chunk);
        while (s.partial.size() >= kMaxLine) {
          emit(s, std::string_view(s.partial).substr(0, kMaxLine));
          s.partial.erase(0, kMaxLine);
        }
        return;
      }
      if (s.partial.empty()) {
        emit(s, chunk.substr(0, nl));
      } else {
        s.partial.append(chunk.substr(0, nl));
        emit(s, s.partial);
        s.partial.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
  }

  void emit(const Stream& s, std::string_view line) const {
    if (spec_.on_line) spec_.on_line(s.which, line);
  }

  const ProcessSpec& spec_;
  ProcessResult& r_;
  asio::io_context ioc_;  // declared before everything that uses it
  Stream out_, err_;
  asio::steady_timer deadline_{ioc_};  // spec.deadline
  asio::steady_timer grace_{ioc_};     // SIGTERM -> SIGKILL
  asio::steady_timer drain_{ioc_};     // leader exited -> close pipes
  pid_t pid_ = -1;                     // leader pid == pgid
  bool exited_ = false;                // leader reaped
  bool terminating_ = false;           // SIGTERM sent
};

// Owns the pipe for child failure reports; closes what is left open.
struct ReportPipe {
  int fd[2] = {-1, -1};
  ReportPipe(const ReportPipe&) = delete;
  ReportPipe& operator=(const ReportPipe&) = delete;
  ReportPipe() = default;
  ~ReportPipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

}  // namespace

std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

ProcessSpec step_process_spec(const StepContext& ctx, std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.run_as = ctx.run_as;
  spec.deadline = ctx.deadline;
  spec.kill_grace = ctx.kill_grace;
  spec.stop = ctx.stop;
  spec.on_line = [&ctx](OutputStream s, std::string_view line) { ctx.output(s, line); };
  return spec;
}

Outcome step_outcome(const StepContext& ctx, const ProcessResult& r, Clock::time_point started,
                     const std::vector<int64_t>& success_codes) {
  Outcome o;
  if (r.started) {
    std::string out = r.stdout_text;
    if (out.ends_with('\n')) out.pop_back();
    o.outputs.emplace_back("exit_code", Value(int64_t{r.exit_code}));
    o.outputs.emplace_back("stdout", Value(std::move(out)));
    if (r.stdout_truncated)
      ctx.warn("step '" + ctx.step_id + "': stdout exceeded the capture limit; output 'stdout' " +
               "holds its first " + std::to_string(r.stdout_text.size()) + " bytes");
  }
  o.exit_code = r.exit_code;
  o.signal = r.signal;
  const std::string group_fate = r.killed ? "; process group killed (SIGKILL after " +
                                                format_duration(ctx.kill_grace) + " grace)"
                                          : "; process group terminated";
  if (r.timed_out) {
    o.status = Outcome::Status::TimedOut;
    // The timeout itself is not in ctx: deadline - start, rounded up to 100ms (10ms below 1s)
    // since the scheduler set the deadline a moment before `started`.
    Millis t =
        ctx.deadline ? std::chrono::duration_cast<Millis>(*ctx.deadline - started) : r.elapsed;
    const int64_t unit = t < Millis(1000) ? 10 : 100;
    t = Millis((t.count() + unit - 1) / unit * unit);
    o.message = "timed out after " + format_duration(t) + group_fate;
  } else if (r.cancelled) {
    o.status = Outcome::Status::Cancelled;
    o.message = r.started ? "cancelled" + group_fate : "cancelled before start";
  } else if (!r.started) {
    o.status = Outcome::Status::Failed;
    o.message = r.spawn_error;
  } else if (r.signal != 0) {
    o.status = Outcome::Status::Failed;
    o.message = "killed by signal " + std::to_string(r.signal) + " (" + signal_name(r.signal) + ")";
  } else if (!r.wait_error.empty()) {
    o.status = Outcome::Status::Failed;
    o.message = "cannot collect the exit status: " + r.wait_error;
  } else if (std::find(success_codes.begin(), success_codes.end(), r.exit_code) ==
             success_codes.end()) {
    o.status = Outcome::Status::Failed;
    o.message = "exit code " + std::to_string(r.exit_code);
  } else {
    o.status = Outcome::Status::Succeeded;
  }
  return o;
}

ProcessResult run_process(const ProcessSpec& spec) {
  ProcessResult r;
  if (spec.argv.empty()) {
    r.spawn_error = "cannot run an empty command";
    return r;
  }
  if (spec.stop.stop_requested()) {
    r.cancelled = true;
    r.spawn_error = "cancelled before start";
    return r;
  }

  // The environment, as "K=V" strings plus the pointer array execve wants.
  std::vector<std::string> env_strings;
  std::string path = "/usr/local/bin:/usr/bin:/bin";  // execvp's spirit when PATH is unset
  if (spec.run_as.env.empty()) {
    for (char** e = environ; e && *e; ++e) env_strings.emplace_back(*e);
  } else {
    for (const auto& [k, v] : spec.run_as.env) env_strings.push_back(k + "=" + v);
  }
  for (const auto& s : env_strings)
    if (s.starts_with("PATH=")) path = s.substr(5);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  auto exe = resolve_exe(spec.argv[0], path);
  if (!exe.ok()) {
    r.spawn_error = exe.error().message;
    return r;
  }
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  ChildPlan plan;
  plan.exe = exe->c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  if (!spec.run_as.cwd.empty()) plan.cwd = spec.run_as.cwd.c_str();

  // Switch only when it changes something: a non-root user may run steps as itself.
  std::vector<gid_t> groups;
  const RunAs& ra = spec.run_as;
  if (!ra.user.empty() && (ra.uid != ::geteuid() || ra.gid != ::getegid())) {
    int n = 32;
    for (;;) {
      groups.resize(static_cast<size_t>(n));
      int want = n;
      if (::getgrouplist(ra.user.c_str(), ra.gid, groups.data(), &want) >= 0) {
        groups.resize(static_cast<size_t>(want));
        break;
      }
      if (want <= n) want = n * 2;  // defensive: glibc sets want to the needed size
      n = want;
    }
    plan.switch_user = true;
    plan.uid = ra.uid;
    plan.gid = ra.gid;
    plan.groups = groups.data();
    plan.ngroups = groups.size();
  }

  ReportPipe report;
  if (::pipe2(report.fd, O_CLOEXEC) != 0) {
    r.spawn_error = "cannot run '" + spec.argv[0] + "': pipe: " + errno_text(errno);
    return r;
  }
  plan.report_fd = report.fd[1];

  auto run = std::make_unique<Run>(spec, r);  // on the heap: 128 KiB of read buffers
  run->execute(plan, report.fd);
  run.reset();  // before r is returned: ~Run is the last word on the child
  return r;
}

}  // namespace ordo
