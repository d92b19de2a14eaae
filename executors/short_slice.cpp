// request_short_slice (see short_slice.h). glibc 2.36 has no sched_setattr wrapper, and
// <linux/sched/types.h> clashes with <sched.h> (both define struct sched_param), so the
// syscall's argument is declared here with the kernel's layout (SCHED_ATTR_SIZE_VER1).
#include "short_slice.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ordo {
namespace {

struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  // SCHED_OTHER: the slice in ns from Linux 6.12; before that the kernel ignores it and reads
  // back 0 (or, 6.6 to 6.11, the one slice every task has).
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};

constexpr std::uint64_t kResetOnFork = 0x01;  // SCHED_FLAG_RESET_ON_FORK

bool get_attr(SchedAttr& a) {
  a = SchedAttr{};
  return ::syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) == 0;
}

bool set_attr(SchedAttr a) {
  a.size = sizeof a;
  return ::syscall(SYS_sched_setattr, 0, &a, 0) == 0;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

SliceRequest request_short_slice(std::chrono::microseconds slice) {
  const auto want = static_cast<std::uint64_t>(std::chrono::nanoseconds(slice).count());
  SchedAttr before{};
  if (!get_attr(before)) return {false, "time slice left as is: " + errno_text("sched_getattr")};
  if (before.sched_policy != SCHED_OTHER)
    return {false, "time slice left as is: the scheduling policy is not SCHED_OTHER (" +
                       std::to_string(before.sched_policy) + ")"};
  if (before.sched_nice < 0)
    return {false, "time slice left as is: nice is " + std::to_string(before.sched_nice) +
                       " and steps must inherit it"};
  SchedAttr a = before;
  a.sched_runtime = want;
  a.sched_flags = before.sched_flags | kResetOnFork;
  a.sched_util_min = a.sched_util_max = 0;  // no SCHED_FLAG_UTIL_CLAMP: not read
  if (!set_attr(a)) return {false, "time slice left as is: " + errno_text("sched_setattr")};
  SchedAttr after{};
  if (get_attr(after) && after.sched_runtime == want)
    return {true, "launching thread: time slice " + std::to_string(slice.count()) +
                      " us (steps keep the default)"};
  // A kernel without custom slices ignored sched_runtime: take the flag back as well.
  set_attr(before);
  return {false, "time slice left as is: this kernel has no per-task slices (Linux 6.12+)"};
}

}  // namespace ordo
