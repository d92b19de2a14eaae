// What ordo's own threads and a step's process look like from /proc during `ordo run`: signal
// masks and scheduling. Each case runs a one-step plan whose script writes what it sees into
// files in the scratch directory, with the real binary (ORDO_BIN).
#include <doctest/doctest.h>
#include <signal.h>

#include <sstream>
#include <string>

#include "cli_test_util.h"
#include "run_cli_test_util.h"
#include "slice_test_util.h"

using namespace std::string_literals;

namespace {

using cli_test::ordo_bin;
using cli_test::read_file;
using run_cli_test::glob_paths;
using run_cli_test::run_ordo;
using run_cli_test::Scratch;

// Runs plan NAME, one shell step with SCRIPT (its parent, $PPID, is ordo's scheduler thread),
// to success.
void run_looking_step(const Scratch& s, const std::string& name, const std::string& script) {
  cli_test::write_file(s.path("plan.toml"),
                       "[plan]\nname = \"" + name +
                           "\"\n\n[steps.look]\nkind = \"shell\"\nscript = \"" + script + "\"\n");
  REQUIRE(run_ordo(s, {"run", "plan.toml", "--state-dir", "state"}) == 0);
}

}  // namespace

TEST_SUITE("run_process") {
  TEST_CASE("every ordo thread blocks SIGCHLD; the step itself starts with no blocked signal" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    // ordo watches children through pidfds; an unblocked SIGCHLD would wake one of its idle
    // threads at each child's exit (engine/cli/main.cpp).
    Scratch s;
    INFO("scratch dir: " << s.dir);
    run_looking_step(s, "masks",
                     "for f in /proc/$PPID/task/*/status; do grep SigBlk $f; done > threads.txt; "
                     "grep SigBlk /proc/self/status > self.txt");
    std::istringstream threads(read_file(s.path("threads.txt")));
    int n = 0;
    for (std::string line; std::getline(threads, line); ++n) {
      INFO(line);
      REQUIRE(line.rfind("SigBlk:", 0) == 0);
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      CHECK((mask & (1ULL << (SIGCHLD - 1))) != 0);
    }
    CHECK(n >= 2);  // the scheduler and at least the signal-forwarding thread
    CHECK(read_file(s.path("self.txt")) == "SigBlk:\t0000000000000000\n"s);
  }

  TEST_CASE("the launching thread runs with a 100 us time slice; the step with the default" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    // The scheduler thread launches and reaps the steps; a short slice lets it preempt a step
    // when it wakes (executors/short_slice.h). The step must not inherit it.
    Scratch s;
    INFO("scratch dir: " << s.dir);
    const long long def = slice_test::this_thread_slice();
    if (def < 0) {
      MESSAGE("this kernel shows no se.slice (before Linux 6.6): case skipped");
      return;
    }
    run_looking_step(s, "slices",
                     "grep se.slice /proc/$PPID/task/$PPID/sched > launcher.txt; "
                     "grep se.slice /proc/self/sched > self.txt");
    // The files hold the se.slice lines of ordo's scheduler thread (the step's parent) and of
    // a process the step started.
    CHECK(slice_test::slice_in(s.path("launcher.txt")) ==
          (slice_test::kernel_has_custom_slices() ? 100000 : def));
    CHECK(slice_test::slice_in(s.path("self.txt")) == def);
    const auto logs = glob_paths(s.path("state/slices/runs/*/ordo.log"));
    REQUIRE(logs.size() == 1);
    CHECK(read_file(logs[0]).find(slice_test::kernel_has_custom_slices()
                                      ? "launching thread: time slice 100 us"
                                      : "time slice left as is") != std::string::npos);
  }
}
