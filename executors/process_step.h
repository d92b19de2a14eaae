// ProcessStepExecutor: the base of the executors whose step is exactly one child process (shell,
// exec). Such a step can be run two ways with the same result: run() blocks a thread in
// run_process (any Dispatcher), or ProcessReactor (process_reactor.h) starts the process from
// prepare() and watches it among all the others on the scheduler's own thread. An executor only
// says what to run (prepare) and how to judge it (step_outcome with its success codes).
// Stateless like every Executor: prepare() may run on any thread, concurrently.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "process.h"

namespace ordo {

class ProcessStepExecutor : public Executor {
 public:
  struct Prepared {
    ProcessSpec spec;                          // from take_process_spec(ctx, argv): refers to ctx
    std::vector<int64_t> success_codes{0};     // exit codes that mean success
    Clock::time_point started = Clock::now();  // when the attempt began (for the timeout text)
  };
  // The step's process, or the Outcome of a step that cannot start (a parameter is missing).
  virtual std::variant<Prepared, Outcome> prepare(StepContext& ctx) const = 0;

  // prepare(), run_process(), step_outcome().
  Outcome run(StepContext& ctx) const final;
};

}  // namespace ordo
