// The glue between the process-based executors and run_process: a step's ProcessSpec, and the
// Outcome of a finished process (declared in process.h).

// g++ 12 at -O2 sees the moved-from std::variant inside Value as "maybe uninitialized" in
// step_outcome's emplace_back (a false positive, as in graph.cpp). clang has no such group.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>

#include "process.h"
#include "process_step.h"

namespace ordo {

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

ProcessSpec take_process_spec(StepContext& ctx, std::vector<std::string> argv) {
  std::vector<std::pair<std::string, std::string>> env = std::move(ctx.run_as.env);
  ctx.run_as.env.clear();
  ProcessSpec spec = step_process_spec(ctx, std::move(argv));
  spec.run_as.env = std::move(env);
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

}  // namespace ordo

namespace ordo {

Outcome ProcessStepExecutor::run(StepContext& ctx) const {
  auto p = prepare(ctx);
  if (auto* o = std::get_if<Outcome>(&p)) return std::move(*o);
  auto& prep = std::get<Prepared>(p);
  ProcessResult r = run_process(prep.spec);
  return step_outcome(ctx, r, prep.started, prep.success_codes);
}

}  // namespace ordo
