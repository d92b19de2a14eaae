// Durations in plans: "500ms", "5s", "2m", "1h30m", "1h 30m"; units ms, s, m, h, d.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "result.h"

namespace ordo {

using Millis = std::chrono::milliseconds;

// Parses a duration; the error message says what was expected (no location: callers add it).
Result<Millis> parse_duration(std::string_view text);
// Shortest readable form: 1500ms -> "1.5s", 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Millis d);

}  // namespace ordo
