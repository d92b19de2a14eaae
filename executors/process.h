// run_process: the one way ordo starts a child process (process.cpp with spawn.cpp and
// process_watch.cpp: Boost.Process's vfork launcher starts it, one poll() loop watches it; no
// asio).
//
// The child runs in its own process group, with stdin from /dev/null, no inherited file
// descriptors beyond 0/1/2, default signal dispositions and an empty signal mask, optionally
// as another user (RunAs). Its stdout and stderr are read concurrently and split into lines.
// A deadline or a stop request sends SIGTERM to the whole group, then SIGKILL after
// kill_grace. When the leader exits the group is SIGKILLed, so no orphan outlives the step.
//
// run_process() blocks the calling thread until the child is reaped and its pipes are closed;
// it keeps no shared state, so any number of threads may call it concurrently.
// Callbacks (on_line) run on the calling thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "executor.h"
#include "spawn.h"

namespace ordo {

struct ProcessSpec {
  // The command. argv[0] is searched on the child's PATH (from run_as.env) when it has no '/';
  // a relative path with a '/' is relative to run_as.cwd. REQUIRES: !argv.empty().
  std::vector<std::string> argv;
  // Environment (the full environment of the child; empty: inherit ordo's), working directory
  // (empty: inherit), and uid/gid/supplementary groups when run_as.user is set and differs
  // from the current user (needs root).
  RunAs run_as;
  std::optional<Clock::time_point> deadline;  // SIGTERM to the group at this time
  Millis kill_grace{10000};                   // then SIGKILL this much later
  std::stop_token stop;                       // a stop request terminates the group likewise
  // Called for each output line of either stream, without the '\n'; a final partial line is
  // flushed at EOF; a line longer than 64 KiB is delivered in 64 KiB pieces.
  std::function<void(OutputStream, std::string_view line)> on_line;
  size_t capture_limit = 1 << 20;  // stdout (and stderr if asked) keeps the first N bytes
  bool capture_stderr = false;
};

struct ProcessResult {
  bool started = false;     // false: spawn_error says why (nothing else is meaningful)
  std::string spawn_error;  // "cannot run 'foo': No such file or directory"
  int exit_code = -1;       // WEXITSTATUS when the child exited; -1 when killed by a signal
  int signal = 0;           // WTERMSIG when the child was killed by a signal
  bool timed_out = false;   // the deadline passed and the group was terminated
  bool cancelled = false;   // spec.stop was requested and the group was terminated
  bool killed = false;      // the group ignored SIGTERM for kill_grace and got SIGKILL
  std::string wait_error;   // the exit status could not be collected (e.g. ECHILD)
  std::string stdout_text, stderr_text;  // the first capture_limit bytes
  bool stdout_truncated = false;         // stdout was longer than capture_limit
  bool stderr_truncated = false;         // (only when capture_stderr)
  Millis elapsed{0};                     // from spawn to reaping
};

// The first half of run_process: prepares and spawns the child. On success r.started is set
// and the child with the read ends of its stdout/stderr pipes is returned (the caller owns the
// descriptors: hand them to a ChildWatch, process_watch.h); otherwise r says why (spawn_error,
// cancelled) and nothing is left open or running.
struct StartedChild {
  Spawned child;
  int out_fd = -1, err_fd = -1;
};
std::optional<StartedChild> start_process(const ProcessSpec& spec, ProcessResult& r);

// Runs the command to completion (see the file comment). Never throws for a failure of the
// child (spawn errors are data); may propagate an exception thrown by on_line, after killing
// and reaping the child.
ProcessResult run_process(const ProcessSpec& spec);

// "SIGKILL", "SIGTERM", ... or "signal N" for an unknown number.
std::string signal_name(int sig);

// ---- Glue shared by the process-based executors (exec, shell, ...) ----

// The ProcessSpec of a step: argv plus ctx's run_as, deadline, kill_grace, stop and output.
// The result refers to ctx (on_line calls ctx.output): use it while ctx is alive.
ProcessSpec step_process_spec(const StepContext& ctx, std::vector<std::string> argv);
// The same for an attempt that is exactly this one process (shell, exec): the environment is
// moved out of ctx.run_as instead of copied (a context serves one attempt; copying a few dozen
// variables per step showed in profiles). The rest of ctx.run_as stays.
ProcessSpec take_process_spec(StepContext& ctx, std::vector<std::string> argv);

// The Outcome of a finished process: TimedOut ("timed out after 5s; process group
// terminated"), Cancelled, Failed ("killed by signal 9 (SIGKILL)", "exit code 2", a spawn
// error), else Succeeded. Outputs `exit_code` and `stdout` (without its final newline) whenever
// the process ran. `started` is when the attempt began (to state the timeout); a truncated
// stdout is reported through ctx.warn.
Outcome step_outcome(const StepContext& ctx, const ProcessResult& r, Clock::time_point started,
                     const std::vector<int64_t>& success_codes = {0});

}  // namespace ordo
