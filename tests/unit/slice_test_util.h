// Helpers for the tests of request_short_slice (test_short_slice, test_run_cli): whether this
// kernel grants per-task time slices, and a thread's slice as /proc shows it.
// Header-only; for tests only.
#pragma once

#include <sys/utsname.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace slice_test {

// Linux 6.12 and later take sched_attr.sched_runtime as a SCHED_OTHER task's slice.
inline bool kernel_has_custom_slices() {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 12);
}

// The value (ns) of a /proc/.../sched line "se.slice   :   1400000", or -1 for any other line.
inline long long slice_of_line(const std::string& line) {
  if (line.rfind("se.slice", 0) != 0) return -1;
  const auto colon = line.find(':');
  if (colon == std::string::npos) return -1;
  return std::stoll(line.substr(colon + 1));
}

// The se.slice value (ns) of a /proc/.../sched file, or -1 when the file or the line is missing
// (kernels before 6.6 have no se.slice).
inline long long slice_in(const std::string& sched_file) {
  std::ifstream in(sched_file);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("se.slice", 0) == 0) return slice_of_line(line);
  return -1;
}

inline long long this_thread_slice() {
  return slice_in("/proc/thread-self/sched");
}

}  // namespace slice_test
