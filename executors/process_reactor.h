// ProcessReactor: the Dispatcher of `ordo run`. Steps of a ProcessStepExecutor (shell, exec)
// run on the scheduler's own thread: launch() spawns the process at once, and wait() — where
// the scheduler thread sleeps between turns — polls every running child's pipes and pidfd
// together with the inbox's wake-up descriptor, reads their output, enforces deadlines and
// stop requests (ChildWatch) and posts each Outcome into the inbox like any executor. A quiet
// step thus costs no thread hand-off: no worker to wake, no Done message to pass between
// threads. Every other executor runs on a ThreadDispatcher (a worker pool) as before.
//
// Owned by whoever builds the Scheduler; it must outlive it. launch(), reap() and wait() are
// called on the scheduler thread only (Dispatcher contract). wait() reads the real steady
// clock: use it with SystemRunClock (a fake clock's jumps would not move the children's
// deadlines). The destructor SIGKILLs the groups of children still running and reaps them.
#pragma once

#include <poll.h>

#include <memory>
#include <vector>

#include "dispatcher.h"

namespace ordo {

class ProcessReactor final : public Dispatcher {
 public:
  ProcessReactor();
  ProcessReactor(const ProcessReactor&) = delete;
  ProcessReactor& operator=(const ProcessReactor&) = delete;
  ~ProcessReactor() override;

  void launch(Launch launch) override;
  void wait(Inbox& inbox, RunClock& clock, std::optional<Clock::time_point> until) override;

  // Running children, and the processes started here so far (for tests).
  size_t running() const { return jobs_.size(); }
  size_t started() const { return started_; }

 private:
  struct Job;
  void finish(Job& job);

  ThreadDispatcher pool_;  // every launch that is not a single process
  std::vector<std::unique_ptr<Job>> jobs_;
  std::vector<pollfd> fds_;
  std::vector<size_t> first_;  // per job, its first entry in fds_
  std::unique_ptr<char[]> buf_;
  size_t started_ = 0;
};

}  // namespace ordo
