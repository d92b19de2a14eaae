// Dispatcher: the scheduler's seam to execution. The scheduler prepares a Launch (the executor,
// a StepContext whose callbacks post back to the scheduler, and a `done` callback) and hands it
// over; the dispatcher runs it somewhere and calls `done` exactly once with the Outcome.
//
// ThreadDispatcher runs each launch on a pool of long-lived worker threads, one launch per
// worker at a time, growing the pool whenever no worker is idle (watchers too: they take no -j
// slot, the scheduler counts slots; the pool ends up as large as the most launches at once). Tests
// use a fake that keeps the launches and completes them by hand on the test thread — no threads, no
// processes. launch() and reap() are called on the scheduler thread only; `done` and the
// StepContext callbacks are thread-safe and may be called from any thread, even from inside
// launch().
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "executor.h"

namespace ordo {

struct Launch {
  int id = 0;                          // unique per attempt within a run
  int step = -1;                       // index in Plan::steps
  const Executor* executor = nullptr;  // never null
  StepContext ctx;                     // params interpolated, stop token, deadline, callbacks
  std::function<void(Outcome)> done;   // call exactly once, last (after any ctx callback)
};

class Inbox;
class RunClock;

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual void launch(Launch launch) = 0;
  // The scheduler has received the launch's Outcome: release what it held (join its thread).
  virtual void reap(int launch_id) { (void)launch_id; }
  // How the scheduler thread waits for its next message (Scheduler::run): returns at once if
  // one waits, else once one is posted or `until` passes (spurious returns allowed). The
  // default is inbox.wait(clock, until); a dispatcher that runs launches on the scheduler
  // thread itself (ProcessReactor) does their work here while it waits.
  virtual void wait(Inbox& inbox, RunClock& clock, std::optional<Clock::time_point> until);
};

// Runs every launch on an idle worker thread (a new one when none is idle). An exception
// escaping Executor::run() becomes a Failed outcome ("internal error: ..."), so one buggy
// executor cannot take the process down. A worker destroys its Launch after `done`, then waits
// for the next. The destructor runs what is still queued, then joins every worker.
class ThreadDispatcher final : public Dispatcher {
 public:
  ThreadDispatcher() = default;
  ThreadDispatcher(const ThreadDispatcher&) = delete;
  ThreadDispatcher& operator=(const ThreadDispatcher&) = delete;
  ~ThreadDispatcher() override;

  void launch(Launch launch) override;

 private:
  void worker();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Launch> queue_;  // launched, not yet picked up by a worker
  size_t idle_ = 0;           // workers waiting for a launch
  bool quit_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ordo
