// request_short_slice: the calling thread gets a 100 us slice, and what it starts afterwards
// gets the kernel's default again; a thread whose policy or nice value someone else chose is
// left alone. Each case runs in a fresh thread so the test process itself is untouched.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "short_slice.h"
#include "slice_test_util.h"

using slice_test::kernel_has_custom_slices;
using slice_test::this_thread_slice;

namespace {

// Runs f on a new thread and waits for it (doctest's CHECKs are thread-safe).
template <class F>
void on_new_thread(F f) {
  std::thread t(f);
  t.join();
}

// The se.slice of a process started from the calling thread (popen: fork or clone from here).
long long child_slice() {
  FILE* p = ::popen("grep se.slice /proc/self/sched", "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  return got ? slice_test::slice_of_line(buf) : -1;
}

}  // namespace

TEST_SUITE("short_slice") {
  TEST_CASE("the calling thread gets 100 us; a process it starts gets the default") {
    const long long def = this_thread_slice();
    INFO("default slice " << def << " ns");
    on_new_thread([def] {
      const ordo::SliceRequest r = ordo::request_short_slice();
      INFO(r.detail);
      if (!kernel_has_custom_slices()) {
        CHECK_FALSE(r.applied);
        CHECK(r.detail.find("Linux 6.12") != std::string::npos);
        CHECK(this_thread_slice() == def);
        return;
      }
      CHECK(r.applied);
      CHECK(r.detail == "launching thread: time slice 100 us (steps keep the default)");
      CHECK(this_thread_slice() == 100000);
      CHECK(child_slice() == def);
      long long in_thread = -1;
      on_new_thread([&in_thread] { in_thread = this_thread_slice(); });
      CHECK(in_thread == def);
    });
  }

  TEST_CASE("a negative nice value is left alone, and so is the slice") {
    const long long def = this_thread_slice();
    on_new_thread([def] {
      const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
      if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), -2) != 0) {
        MESSAGE("cannot lower nice here (not root): case skipped");
        return;
      }
      const ordo::SliceRequest r = ordo::request_short_slice();
      INFO(r.detail);
      CHECK_FALSE(r.applied);
      CHECK(r.detail == "time slice left as is: nice is -2 and steps must inherit it");
      CHECK(this_thread_slice() == def);
      CHECK(::getpriority(PRIO_PROCESS, static_cast<id_t>(tid)) == -2);
    });
  }

  TEST_CASE("a SCHED_BATCH thread is left alone") {
    const long long def = this_thread_slice();
    on_new_thread([def] {
      sched_param none{};
      REQUIRE(::sched_setscheduler(0, SCHED_BATCH, &none) == 0);
      const ordo::SliceRequest r = ordo::request_short_slice();
      INFO(r.detail);
      CHECK_FALSE(r.applied);
      CHECK(r.detail == "time slice left as is: the scheduling policy is not SCHED_OTHER (" +
                            std::to_string(SCHED_BATCH) + ")");
      CHECK(::sched_getscheduler(0) == SCHED_BATCH);
      CHECK(this_thread_slice() == def);
    });
  }
}
