// request_short_slice: asks Linux for a short time slice for the calling thread, the one that
// launches steps and reaps them (the scheduler thread of `ordo run`, where ProcessReactor
// waits). Steps are not affected: the request carries SCHED_FLAG_RESET_ON_FORK, so every
// process and thread started from this thread afterwards gets the kernel's defaults again.
//
// Why: at -j N on N CPUs every CPU runs a step and the launching thread queues behind them.
// Linux's EEVDF scheduler (6.6 and later) lets a waking task preempt the running one only
// when its deadline comes first, and from 6.12 a task may ask for a shorter slice (and so an
// earlier deadline) through sched_setattr's sched_runtime. Without it, in plans of 100k steps
// the launching thread, woken when its vfork child execs, seldom preempted that child and
// waited behind the step it had just started while a CPU went idle: wide and layered took
// 1.2-1.4x the fork/exec floor at -j 2. With it they take 0.94-0.99x (tests/bench/README.md).
//
// Left alone, with the reason in the result: a thread that is not SCHED_OTHER (real-time,
// batch or idle, set by whoever started ordo) and a negative nice value, because reset-on-fork
// would take the negative nice away from the steps. On a kernel without custom slices the
// request changes nothing and says so. Never fails the run: the result is for ordo.log.
#pragma once

#include <chrono>
#include <string>

namespace ordo {

struct SliceRequest {
  bool applied = false;  // the thread now has `slice` and resets it on fork
  std::string detail;    // what was done or why not, one line for the log
};

// The shortest slice Linux grants (it clamps sched_runtime to 100 us .. 100 ms).
inline constexpr std::chrono::microseconds kShortSlice{100};

SliceRequest request_short_slice(std::chrono::microseconds slice = kShortSlice);

}  // namespace ordo
