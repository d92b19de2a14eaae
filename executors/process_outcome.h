// process_outcome: glue for executors that run several commands in one step (systemd, pip,
// pg-dump, file): the ProcessSpec of one such command, and its failure as the step's Outcome
// with the command named ("pip install failed: exit code 1: Error: pg_config executable not
// found."). Builds on step_process_spec/step_outcome (process.h). Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "process.h"

namespace ordo {

// Which of a command's lines go to ctx.output (all are captured in the ProcessResult).
enum class Echo {
  All,         // the step's main command: its output is the step's output
  StderrOnly,  // a query whose stdout ordo parses (`pip show`, `systemctl is-active`)
  None,        // a poll repeated many times
};

// The spec of a command run for ctx: ctx's run_as, deadline, kill_grace and stop; stdout and
// stderr captured; `echo` lines passed to ctx.output. Use it while ctx is alive.
ProcessSpec command_spec(const StepContext& ctx, std::vector<std::string> argv,
                         Echo echo = Echo::All);

// True when the command ran and exited with 0.
bool command_ok(const ProcessResult& r);

// The Outcome of a command that did not succeed (REQUIRES: !command_ok(r)): TimedOut or
// Cancelled as step_outcome says them; otherwise Failed with "WHAT failed: exit code 1: LINE",
// LINE being error_line() of its stderr (or stdout). Outputs are left empty.
Outcome command_failure(const StepContext& ctx, const ProcessResult& r, Clock::time_point started,
                        std::string_view what);

// The line of a command's output that best says what went wrong (trimmed): the first line
// starting with "ERROR:", "Error:" or "FATAL:", else the first starting with "error", "fatal"
// or "Failed", else the last non-empty line; "" when there is none.
std::string error_line(std::string_view text);

// The Outcomes of a step whose own wait ran out (not a process): TimedOut "timed out after 30s
// (DETAIL)", the timeout being ctx.deadline - started; and Cancelled "cancelled (DETAIL)".
Outcome step_timed_out(const StepContext& ctx, Clock::time_point started, std::string_view detail);
Outcome step_cancelled(std::string_view detail);

// True once ctx.deadline has passed.
bool deadline_passed(const StepContext& ctx);

}  // namespace ordo
