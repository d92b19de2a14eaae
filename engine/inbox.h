// Inbox: where the threads of a run meet the scheduler. Executors (on worker and watcher
// threads) and the signal thread post Messages; the scheduler thread takes them in order.
// connect_launch() wires a Launch's callbacks (output, warn, fire, done) to post here, tagged
// with the launch id. The Inbox is shared (shared_ptr) so a late callback can never outlive it.
// Inbox is thread-safe; Message is plain data.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dispatcher.h"
#include "run_clock.h"

namespace ordo {

struct Message {
  enum class Kind { Output, Warn, Fire, Done, Interrupt };
  Kind kind = Kind::Output;
  int launch = 0;  // the Launch it is about (not for Interrupt)
  OutputStream stream = OutputStream::Stdout;
  std::string text;    // Output: the line; Warn: the warning
  ValueTable details;  // Fire
  Outcome outcome;     // Done
};

class Inbox {
 public:
  void post(Message m);
  // Everything posted so far, oldest first.
  std::deque<Message> take();
  // Returns at once if a message is waiting; else blocks (through `clock`, so a fake clock can
  // jump instead) until one is posted or `until` passes.
  void wait(RunClock& clock, std::optional<Clock::time_point> until);

  // For a scheduler thread that waits in poll() on descriptors of its own (ProcessReactor):
  // begin_poll() returns -1 if a message is waiting already (do not sleep), else a descriptor
  // (an eventfd, created on first use) that becomes readable when a message is posted or
  // wake() is called before end_poll(). Posts while nobody polls cost no system call.
  int begin_poll();
  void end_poll();
  // Makes a poll between begin_poll() and end_poll() return (e.g. from a stop callback).
  void wake();

  Inbox() = default;
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;
  ~Inbox();

 private:
  void wake_locked();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> q_;
  int wake_fd_ = -1;      // eventfd for begin_poll()
  bool polling_ = false;  // between begin_poll() and end_poll()
  bool woken_ = false;    // wake_fd_ was written since begin_poll()
};

// Sets l.ctx.output, l.ctx.warn, l.done and, for a watcher, l.ctx.fire to post into `inbox`.
// fire() counts from `fired_so_far`: it returns true while more firings may follow, false once
// a firing reached `max_fires`; firings beyond the limit are dropped (and return false).
void connect_launch(Launch& l, const std::shared_ptr<Inbox>& inbox, bool watcher, int fired_so_far,
                    int max_fires);

}  // namespace ordo
