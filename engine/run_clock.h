// RunClock: the scheduler's seam to time. The real clock reads std::chrono::steady_clock and
// the system clock and sleeps on a condition variable; tests use a fake whose time moves only
// when the test (or a wait) moves it, so backoff schedules and timeouts are checked exactly,
// with no sleeps. Owned by whoever builds the scheduler; used on the scheduler thread only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "executor.h"

namespace ordo {

class RunClock {
 public:
  virtual ~RunClock() = default;
  // Monotonic time; step deadlines (StepContext::deadline) are in this clock.
  virtual Clock::time_point now() const = 0;
  // Wall-clock time, for event timestamps.
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  // Blocks on `cv` (whose mutex `lock` holds) until it is notified or `until` passes
  // (nullopt: no time limit). Spurious returns are allowed; callers re-check. A fake clock
  // jumps to `until` and returns at once.
  virtual void wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                    std::optional<Clock::time_point> until) = 0;
};

// The real clock.
class SystemRunClock final : public RunClock {
 public:
  Clock::time_point now() const override { return Clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  void wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
            std::optional<Clock::time_point> until) override {
    if (until)
      cv.wait_until(lock, *until);
    else
      cv.wait(lock);
  }
};

}  // namespace ordo
