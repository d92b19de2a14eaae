#include "dispatcher.h"

#include "inbox.h"

#include <exception>
#include <utility>

namespace ordo {

void Dispatcher::wait(Inbox& inbox, RunClock& clock, std::optional<Clock::time_point> until) {
  inbox.wait(clock, until);
}

ThreadDispatcher::~ThreadDispatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_)
    if (t.joinable()) t.join();
}

void ThreadDispatcher::launch(Launch launch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(launch));
    if (idle_ < queue_.size()) {  // every idle worker has a launch already: one more worker
      workers_.emplace_back([this] { worker(); });
      return;
    }
  }
  cv_.notify_one();  // outside the lock: the woken worker does not block on mu_ at once
}

void ThreadDispatcher::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (queue_.empty() && !quit_) {
      ++idle_;
      cv_.wait(lock);
      --idle_;
    }
    if (queue_.empty()) return;  // quit_, nothing left to run
    {
      Launch l = std::move(queue_.front());  // destroyed before this worker takes the next one
      queue_.pop_front();
      lock.unlock();
      Outcome outcome;
      try {
        outcome = l.executor->run(l.ctx);
      } catch (const std::exception& e) {
        outcome = Outcome::failed(std::string("internal error: ") + e.what());
      } catch (...) {
        outcome = Outcome::failed("internal error: unknown exception");
      }
      l.done(std::move(outcome));
    }
    lock.lock();
  }
}

}  // namespace ordo
