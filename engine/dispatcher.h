// Dispatcher: the scheduler's seam to execution. The scheduler prepares a Launch (the executor,
// a StepContext whose callbacks post back to the scheduler, and a `done` callback) and hands it
// over; the dispatcher runs it somewhere and calls `done` exactly once with the Outcome.
//
// ThreadDispatcher runs each launch on its own thread (watchers too: they take no -j slot, the
// scheduler counts slots). Tests use a fake that keeps the launches and completes them by hand
// on the test thread — no threads, no processes.
// launch() and reap() are called on the scheduler thread only; `done` and the StepContext
// callbacks are thread-safe and may be called from any thread, even from inside launch().
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "executor.h"

namespace ordo {

struct Launch {
  int id = 0;                          // unique per attempt within a run
  int step = -1;                       // index in Plan::steps
  const Executor* executor = nullptr;  // never null
  StepContext ctx;                     // params interpolated, stop token, deadline, callbacks
  std::function<void(Outcome)> done;   // call exactly once, last (after any ctx callback)
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual void launch(Launch launch) = 0;
  // The scheduler has received the launch's Outcome: release what it held (join its thread).
  virtual void reap(int launch_id) { (void)launch_id; }
};

// Runs every launch on a new thread. An exception escaping Executor::run() becomes a Failed
// outcome ("internal error: ..."), so one buggy executor cannot take the process down.
// The destructor joins threads not yet reaped.
class ThreadDispatcher final : public Dispatcher {
 public:
  ThreadDispatcher() = default;
  ThreadDispatcher(const ThreadDispatcher&) = delete;
  ThreadDispatcher& operator=(const ThreadDispatcher&) = delete;
  ~ThreadDispatcher() override;

  void launch(Launch launch) override;
  void reap(int launch_id) override;

 private:
  std::mutex mu_;
  std::map<int, std::thread> threads_;
};

}  // namespace ordo
