// Test helper: events at a fixed wall-clock time, so the texts written from them (timestamps in
// JSON lines, step logs, console lines) can be compared byte for byte. Header-only.
#pragma once

#include <chrono>
#include <cstdint>

#include "event.h"

namespace ordo::test_events {

inline const auto kT0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'654'923)) +
                        std::chrono::milliseconds(456);  // 2026-11-26T01:02:03.456Z

// An event `mono_ms` after the run's start (wall clock kT0 + mono_ms).
inline Event ev(EventBody body, int64_t mono_ms = 0) {
  return Event{kT0 + std::chrono::milliseconds(mono_ms), Millis(mono_ms), std::move(body)};
}

}  // namespace ordo::test_events
