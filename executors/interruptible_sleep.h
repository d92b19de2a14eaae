// sleep_until: waits until a time point or a stop request, whichever comes first, for the
// executors that poll (systemd `wait`, wait-for). Header-only; thread-safe (each call has its
// own condition variable).
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "executor.h"

namespace ordo {

// Returns false when `stop` was requested (before or during the sleep), true otherwise.
inline bool sleep_until(const std::stop_token& stop, Clock::time_point until) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace ordo
