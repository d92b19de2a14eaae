// Scheduler tests: the edge truth table row by row (requires, after, on_failure, always) and
// fail-fast — with a fake clock and a fake dispatcher (sched_fakes.h): no threads, no sleeps.
#include <doctest/doctest.h>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

TEST_SUITE("scheduler") {
  // ---- requires ---------------------------------------------------------------------------

  TEST_CASE("requires: B waits until A settles and runs after A succeeded") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
)");
    CHECK(r.running("a"));
    CHECK_FALSE(r.running("b"));
    r.finish("a", ok());
    CHECK(r.running("b"));
    r.finish("b", ok());
    REQUIRE(r.sched->finished());
    CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
    CHECK(r.status("a") == "succeeded"s);
    CHECK(r.status("b") == "succeeded"s);
  }

  TEST_CASE("requires: a step skipped because its condition was false satisfies requires") {
    Run r(R"(
[steps.a]
kind = "job"
when = "false"
[steps.b]
kind = "job"
requires = ["a"]
)");
    CHECK(r.status("a") == "skipped"s);
    CHECK(r.st("a").skip_kind == SkipKind::NotApplicable);
    CHECK(r.reason("a") == "condition false (false)"s);
    CHECK(r.running("b"));
    r.finish("b", ok());
    CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("requires: a handler that was not needed satisfies requires") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.h]
kind = "job"
on_failure = ["a"]
[steps.b]
kind = "job"
requires = ["h"]
)");
    CHECK_FALSE(r.running("h"));
    r.finish("a", ok());
    CHECK(r.status("h") == "skipped"s);
    CHECK(r.reason("h") == "not needed"s);
    CHECK(r.st("h").skip_kind == SkipKind::NotApplicable);
    CHECK(r.running("b"));
  }

  TEST_CASE("requires: a triggered step that was never triggered satisfies requires") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.w]
kind = "watch"
watches = ["a"]
[steps.t]
kind = "job"
triggered_by = "w"
[steps.b]
kind = "job"
requires = ["t"]
)");
    CHECK(r.running("w"));
    r.finish("a", ok());
    CHECK(r.stop_requested("w"));
    CHECK_FALSE(r.running("b"));
    r.finish("w", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("w") == "succeeded"s);  // stopped because the watch ended: a normal end
    CHECK(r.status("t") == "skipped"s);
    CHECK(r.reason("t") == "not triggered"s);
    CHECK(r.st("t").skip_kind == SkipKind::NotApplicable);
    CHECK(r.running("b"));
  }

  TEST_CASE("requires: a failure blocks the chain and every skip names the root cause") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
requires = ["b"]
)");
    r.finish("a", fail("exit code 3", 3));
    CHECK(r.status("b") == "skipped"s);
    CHECK(r.st("b").skip_kind == SkipKind::Blocked);
    CHECK(r.reason("b") == "requires a, which failed"s);
    CHECK(r.reason("c") == "requires b, which was skipped because a failed"s);
    auto skip_c = r.sink.find<StepSkipped>("c");
    REQUIRE(skip_c);
    CHECK(skip_c->cause == "a"s);
    CHECK(skip_c->kind == SkipKind::Blocked);
    REQUIRE(r.sched->finished());
    auto sum = r.sched->summary();
    CHECK(sum.outcome == RunOutcome::Failed);
    REQUIRE(sum.root_causes.size() == 1);
    CHECK(r.graph->id(sum.root_causes[0]) == "a"s);
    CHECK(sum.counts.failed == 1);
    CHECK(sum.counts.blocked == 2);
    auto fin = r.sink.all<RunFinished>();
    REQUIRE(fin.size() == 1);
    CHECK(fin[0].root_causes == std::vector<std::string>{"a"});
  }

  TEST_CASE("requires: a timed-out requirement blocks, named as timed out") {
    Run r(R"(
[steps.a]
kind = "job"
timeout = "5s"
[steps.b]
kind = "job"
requires = ["a"]
)");
    r.finish("a", with_status(Outcome::Status::TimedOut));
    CHECK(r.status("a") == "timed_out"s);
    CHECK(r.st("a").message == "timed out after 5s"s);
    CHECK(r.reason("b") == "requires a, which timed out"s);
  }

  TEST_CASE("requires: a cancelled requirement blocks, named as cancelled") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
)");
    r.finish("a", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("a") == "cancelled"s);
    CHECK(r.reason("b") == "requires a, which was cancelled"s);
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  // ---- after ------------------------------------------------------------------------------

  TEST_CASE("after: orders only; B runs once A settles, whatever A did") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.h]
kind = "job"
on_failure = ["a"]
handles = true
[steps.b]
kind = "job"
after = ["a"]
[steps.c]
kind = "job"
after = ["x"]
[steps.x]
kind = "job"
when = "false"
)");
    CHECK_FALSE(r.running("b"));
    CHECK(r.running("c"));  // x was skipped: settled
    r.finish("a", fail());
    CHECK(r.running("b"));  // a failed: b runs anyway
    CHECK(r.running("h"));
    r.finish("h", ok());
    r.finish("b", ok());
    r.finish("c", ok());
    REQUIRE(r.sched->finished());
    auto sum = r.sched->summary();
    CHECK(sum.outcome == RunOutcome::Succeeded);  // a's failure was handled
    CHECK(sum.root_causes.empty());
    CHECK(r.st("a").handled);
  }

  TEST_CASE("after: a blocked step also settles the wait") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.h]
kind = "job"
on_failure = ["a"]
handles = true
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
after = ["b"]
)");
    r.finish("a", fail());
    CHECK(r.st("b").skip_kind == SkipKind::Blocked);
    CHECK(r.running("c"));
  }

  // ---- on_failure -------------------------------------------------------------------------

  TEST_CASE("on_failure: the handler runs when a target failed or timed out") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
[steps.h]
kind = "job"
on_failure = ["a", "b"]
)");
    r.finish("a", ok());
    CHECK_FALSE(r.running("h"));  // waits for b too
    r.finish("b", with_status(Outcome::Status::TimedOut, "took too long"));
    CHECK(r.running("h"));
    r.finish("h", ok());
    // Not `handles = true`: the timeout still fails the run.
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  TEST_CASE("on_failure: a handler that fails leaves the failure unhandled") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.h]
kind = "job"
on_failure = ["a"]
handles = true
[steps.later]
kind = "job"
after = ["h"]
)");
    r.finish("a", fail());
    CHECK(r.sink.all<RunAborting>().empty());  // waiting for the handler
    r.finish("h", fail("handler broke"));
    REQUIRE(r.sink.all<RunAborting>().size() == 1);
    CHECK(r.status("later") == "skipped"s);
    CHECK(r.st("later").skip_kind == SkipKind::NotReached);
    auto sum = r.sched->summary();
    CHECK(sum.outcome == RunOutcome::Failed);
    CHECK(sum.root_causes.size() == 2);
  }

  // ---- always -----------------------------------------------------------------------------

  TEST_CASE("always: runs after its requirements settle, even when they were blocked") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
[steps.cleanup]
kind = "job"
requires = ["b"]
always = true
)");
    CHECK_FALSE(r.running("cleanup"));
    r.finish("a", fail());
    CHECK(r.st("b").skip_kind == SkipKind::Blocked);
    CHECK(r.running("cleanup"));
    r.finish("cleanup", ok());
    CHECK(r.status("cleanup") == "succeeded"s);
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  TEST_CASE(
      "fail-fast: after an unhandled failure nothing new starts, running steps finish, "
      "then always steps run") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
[steps.c]
kind = "job"
requires = ["b"]
[steps.d]
kind = "job"
after = ["b"]
[steps.cleanup]
kind = "job"
after = ["b", "c"]
always = true
)",
          2);
    CHECK(r.running("a"));
    CHECK(r.running("b"));
    r.finish("a", fail("exit code 1", 1));
    auto ab = r.sink.all<RunAborting>();
    REQUIRE(ab.size() == 1);
    CHECK(ab[0].cause == "a"s);
    CHECK(r.status("c") == "skipped"s);
    CHECK(r.st("c").skip_kind == SkipKind::NotReached);
    CHECK(r.reason("c") == "not started: the run was aborted after a failed"s);
    CHECK(r.st("c").cause == r.index("a"));
    CHECK(r.running("b"));  // not stopped: running steps finish
    CHECK_FALSE(r.stop_requested("b"));
    CHECK_FALSE(r.running("cleanup"));  // waits for b
    r.finish("b", ok());
    CHECK(r.status("d") == "skipped"s);  // would have started now: not reached
    CHECK(r.running("cleanup"));
    r.finish("cleanup", ok());
    REQUIRE(r.sched->finished());
    auto sum = r.sched->summary();
    CHECK(sum.outcome == RunOutcome::Failed);
    CHECK(sum.counts.succeeded == 2);
    CHECK(sum.counts.not_reached == 2);
  }

  TEST_CASE("fail-fast: steps downstream of the failure say so, in any declaration order") {
    Run r(R"(
[steps.r]
kind = "job"
requires = ["q"]
[steps.q]
kind = "job"
requires = ["p"]
[steps.a]
kind = "job"
[steps.p]
kind = "job"
requires = ["a"]
[steps.w]
kind = "watch"
watches = ["r"]
)");
    r.finish("a", fail());
    CHECK(r.reason("p") == "requires a, which failed"s);
    CHECK(r.reason("q") == "requires p, which was skipped because a failed"s);
    CHECK(r.reason("r") == "requires q, which was skipped because a failed"s);
    CHECK(r.st("r").skip_kind == SkipKind::Blocked);
    CHECK(r.reason("w") == "none of the watched steps ran"s);
  }
}
