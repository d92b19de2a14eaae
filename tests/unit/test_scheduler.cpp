// Scheduler tests: the edge truth table row by row, watchers and triggered steps, retries and
// their backoff schedule, timeouts, `when`, fail-fast, `always`, interrupts and ordering — with a
// fake clock and a fake dispatcher (sched_fakes.h): no threads, no sleeps.
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

  // ---- when -------------------------------------------------------------------------------

  TEST_CASE("when: evaluated over earlier steps' outputs (executor's and declared)") {
    Run r(R"P(
[steps.a]
kind = "job"
outputs = { version = { from = "stdout", regex = "v([0-9.]+)" }, all = { from = "stderr" } }
[steps.b]
kind = "job"
requires = ["a"]
when = 'steps.a.outputs.version == "3.3.1"'
[steps.c]
kind = "job"
requires = ["a"]
when = 'steps.a.outputs.version == "9"'
[steps.d]
kind = "job"
requires = ["a"]
when = 'steps.a.outputs.state == "active" and steps.a.outputs.all == "warn: x"'
)P");
    Launch* a = r.disp.find("a");
    REQUIRE(a);
    a->ctx.output(OutputStream::Stdout, "upgrading");
    a->ctx.output(OutputStream::Stdout, "indico v3.3.1 installed");
    a->ctx.output(OutputStream::Stderr, "  warn: x  ");
    r.finish("a", ok({{"state", Value("active")}}));
    CHECK(r.running("b"));
    CHECK(r.status("c") == "skipped"s);
    CHECK(r.reason("c") == "condition false (steps.a.outputs.version == \"9\")"s);
    CHECK(r.running("d"));
    auto fin = r.sink.find<StepFinished>("a");
    REQUIRE(fin);
    const Value* v = table_find(fin->outputs, "version");
    REQUIRE(v);
    CHECK(v->as_string() == "3.3.1"s);
    auto outs = r.sink.all<StepOutput>();
    CHECK(outs.size() == 3);
  }

  TEST_CASE("when: evaluated over statuses, in a cleanup step") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.report]
kind = "job"
after = ["a"]
always = true
when = 'steps.a.status == "failed"'
[steps.other]
kind = "job"
after = ["a"]
always = true
when = 'steps.a.status == "succeeded"'
)");
    r.finish("a", fail());
    CHECK(r.running("report"));
    CHECK(r.status("other") == "skipped"s);
  }

  TEST_CASE("when: an evaluation error fails the step with the message") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
when = 'steps.a.outputs.nothere == "x"'
)");
    r.finish("a", ok());
    CHECK(r.status("b") == "failed"s);
    CHECK(r.st("b").message.find("when") != std::string::npos);
    CHECK(r.st("b").message.find("nothere") != std::string::npos);
    CHECK_FALSE(r.running("b"));
  }

  TEST_CASE("when: a step waits for the steps its condition refers to") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.slow]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
when = 'steps.slow.status == "succeeded"'
)");
    r.finish("a", ok());
    CHECK_FALSE(r.running("b"));
    r.finish("slow", ok());
    CHECK(r.running("b"));
  }

  // ---- watchers and triggered steps -------------------------------------------------------

  TEST_CASE("watches: starts with the first watched step, takes no slot, stops after the last") {
    Run r(R"(
[steps.w]
kind = "watch"
watches = ["a", "b"]
[steps.a]
kind = "job"
[steps.b]
kind = "job"
after = ["a"]
)",
          1);
    CHECK(r.running("a"));
    CHECK(r.running("w"));  // beside a although -j 1
    CHECK(r.sink.find<StepStarted>("w")->watcher);
    r.finish("a", ok());
    CHECK(r.running("b"));
    CHECK_FALSE(r.stop_requested("w"));  // b is still running
    r.finish("b", ok());
    CHECK(r.stop_requested("w"));
    r.finish("w", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("w") == "succeeded"s);
    REQUIRE(r.sched->finished());
    CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("watches: a watcher whose steps never ran is skipped as not applicable") {
    Run r(R"(
[steps.a]
kind = "job"
when = "false"
[steps.w]
kind = "watch"
watches = ["a"]
)");
    CHECK(r.status("w") == "skipped"s);
    CHECK(r.st("w").skip_kind == SkipKind::NotApplicable);
    CHECK(r.sched->finished());
  }

  TEST_CASE("triggered_by: each firing runs the triggered steps, up to max_fires") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.w]
kind = "watch"
watches = ["a"]
max_fires = 2
[steps.t]
kind = "job"
triggered_by = "w"
msg = "blockers: ${steps.w.outputs.blockers}"
)");
    CHECK_FALSE(r.running("t"));
    Launch* w = r.disp.find("w");
    REQUIRE(w);
    CHECK(w->ctx.fire({{"blockers", Value("pid 42")}}));  // 1 of 2: more may follow
    r.pump();
    REQUIRE(r.running("t"));
    CHECK(table_find(r.disp.find("t")->ctx.params, "msg")->as_string() == "blockers: pid 42"s);
    CHECK(r.st("w").fired == 1);
    auto fired = r.sink.all<WatcherFired>();
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].count == 1);
    CHECK(fired[0].triggers == std::vector<std::string>{"t"});
    r.finish("t", ok());
    CHECK(r.status("t") == "succeeded"s);  // known, but t is not settled yet
    CHECK_FALSE(r.sched->state().done(r.index("t")));

    w = r.disp.find("w");
    CHECK_FALSE(w->ctx.fire({{"blockers", Value("pid 43")}}));  // 2 of 2: the limit
    CHECK_FALSE(w->ctx.fire({{"blockers", Value("pid 44")}}));  // beyond: dropped
    r.pump();
    CHECK(r.sink.all<WatcherFired>().size() == 2);
    REQUIRE(r.running("t"));
    CHECK(r.sink.all<StepStarted>().size() == 4);  // a, w, t, t
    r.finish("t", ok());

    CHECK(r.running("a"));
    CHECK_FALSE(r.stop_requested("a"));  // firings never abort the watched step
    r.finish("a", ok());
    r.finish("w", with_status(Outcome::Status::Cancelled));
    REQUIRE(r.sched->finished());
    CHECK(r.st("t").runs == 2);
    CHECK(r.status("t") == "succeeded"s);
    CHECK(r.st("w").fired == 2);
    CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("triggered_by: max_fires defaults to 1") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.w]
kind = "watch"
watches = ["a"]
[steps.t]
kind = "job"
triggered_by = "w"
)");
    CHECK_FALSE(r.disp.find("w")->ctx.fire({}));
    CHECK_FALSE(r.disp.find("w")->ctx.fire({}));
    r.pump();
    CHECK(r.st("w").fired == 1);
    CHECK(r.running("t"));
  }

  TEST_CASE("triggered_by while aborting: never fired is `not triggered`, fired is not reached") {
    const char* plan = R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
[steps.w]
kind = "watch"
watches = ["a"]
[steps.t]
kind = "job"
triggered_by = "w"
)";
    SUBCASE("no firing") {
      Run r(plan);
      r.finish("b", fail());  // abort while the watcher still runs
      CHECK_FALSE(r.sched->state().done(r.index("t")));
      r.finish("a", ok());
      r.finish("w", with_status(Outcome::Status::Cancelled));
      CHECK(r.reason("t") == "not triggered"s);
      CHECK(r.st("t").skip_kind == SkipKind::NotApplicable);
    }
    SUBCASE("a firing after the abort") {
      Run r(plan);
      r.finish("b", fail());
      r.fire("w");
      CHECK_FALSE(r.running("t"));
      CHECK(r.sink.all<WatcherFired>().at(0).triggers.empty());
      CHECK(r.st("t").skip_kind == SkipKind::NotReached);
      CHECK(r.reason("t") == "not started: the run was aborted after b failed"s);
    }
  }

  TEST_CASE("watchers: `steps.W.fired == 0` is decided after the watcher is done") {
    const char* plan = R"(
[steps.db-upgrade]
kind = "job"
[steps.watchdog]
kind = "watch"
watches = ["db-upgrade"]
[steps.restart]
kind = "job"
triggered_by = "watchdog"
[steps.reload]
kind = "job"
requires = ["db-upgrade"]
when = "steps.watchdog.fired == 0"
)";
    SUBCASE("no firing: reload runs") {
      Run r(plan);
      r.finish("db-upgrade", ok());
      CHECK_FALSE(r.running("reload"));  // the watcher has not ended yet
      r.finish("watchdog", with_status(Outcome::Status::Cancelled));
      CHECK(r.running("reload"));
      CHECK(r.reason("restart") == "not triggered"s);
    }
    SUBCASE("a firing: restart runs, reload is skipped by its condition") {
      Run r(plan);
      r.fire("watchdog", {{"blockers", Value("uwsgi")}});
      CHECK(r.running("restart"));
      r.finish("restart", ok());
      r.finish("db-upgrade", ok());
      r.finish("watchdog", with_status(Outcome::Status::Cancelled));
      CHECK(r.status("reload") == "skipped"s);
      CHECK(r.reason("reload") == "condition false (steps.watchdog.fired == 0)"s);
      REQUIRE(r.sched->finished());
      CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
    }
  }

  // ---- retries and timeouts ---------------------------------------------------------------

  TEST_CASE("retries: exponential backoff capped at max_backoff; waiting holds no slot") {
    Run r(R"(
[steps.a]
kind = "job"
retries = { attempts = 4, backoff = "2s", max_backoff = "5s" }
[steps.b]
kind = "job"
)",
          1);
    CHECK(r.disp.starts == std::vector<std::string>{"a#1"});
    r.finish("a", fail("exit code 1", 1));
    CHECK(r.st("a").phase == Phase::RetryWait);
    CHECK(r.running("b"));  // the slot is free while a waits
    REQUIRE(r.sched->next_timer());
    CHECK(*r.sched->next_timer() - r.clock.t == Millis(2000));
    r.finish("b", ok());

    r.clock.advance(Millis(1999));
    r.pump();
    CHECK_FALSE(r.running("a"));
    r.clock.advance(Millis(1));
    r.pump();
    REQUIRE(r.running("a"));
    CHECK(r.disp.find("a")->ctx.attempt == 2);
    r.finish("a", fail());
    r.clock.advance(Millis(4000));
    r.pump();
    REQUIRE(r.running("a"));
    r.finish("a", fail());
    r.clock.advance(Millis(5000));  // 8s capped at 5s
    r.pump();
    REQUIRE(r.running("a"));
    r.clock.advance(Millis(700));
    r.finish("a", fail("exit code 2", 2));
    REQUIRE(r.sched->finished());

    std::vector<int64_t> waits, attempts, starts;
    for (const auto& e : r.sink.all<StepRetrying>()) {
      waits.push_back(e.wait.count());
      attempts.push_back(e.attempt);
    }
    CHECK(waits == std::vector<int64_t>{2000, 4000, 5000});
    CHECK(attempts == std::vector<int64_t>{2, 3, 4});
    for (const auto& e : r.sink.events)
      if (auto* s = std::get_if<StepStarted>(&e.body); s && s->step == "a")
        starts.push_back(e.mono.count());
    CHECK(starts == std::vector<int64_t>{0, 2000, 6000, 11000});
    auto fin = r.sink.find<StepFinished>("a");
    REQUIRE(fin);
    CHECK(fin->attempt == 4);
    CHECK(fin->exit_code == 2);
    CHECK(fin->duration == Millis(11700));
    CHECK(r.status("a") == "failed"s);
  }

  TEST_CASE("retries: a success on a later attempt succeeds; `retries = N` means N+1 attempts") {
    Run r(R"(
[steps.a]
kind = "job"
retries = 1
)");
    r.finish("a", fail());
    r.clock.advance(Millis(1000));  // the default backoff
    r.pump();
    REQUIRE(r.running("a"));
    r.finish("a", ok());
    CHECK(r.status("a") == "succeeded"s);
    CHECK(r.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("retries: jitter picks each wait within [w/2, w]") {
    std::vector<std::pair<int64_t, int64_t>> asked;
    SchedulerOptions opt;
    opt.jitter = [&](Millis lo, Millis hi) {
      asked.emplace_back(lo.count(), hi.count());
      return lo + Millis(100);
    };
    Run r(R"(
[steps.a]
kind = "job"
retries = { attempts = 3, backoff = "2s", jitter = true }
)",
          1, opt);
    r.finish("a", fail());
    r.clock.advance(Millis(1100));
    r.pump();
    REQUIRE(r.running("a"));
    r.finish("a", fail());
    CHECK(asked == std::vector<std::pair<int64_t, int64_t>>{{1000, 2000}, {2000, 4000}});
    auto retr = r.sink.all<StepRetrying>();
    REQUIRE(retr.size() == 2);
    CHECK(retr[1].wait == Millis(2100));
  }

  TEST_CASE("retries: timed-out attempts are retried, cancelled ones are not") {
    Run r(R"(
[steps.a]
kind = "job"
retries = 2
[steps.b]
kind = "job"
retries = 2
)");
    r.finish("a", with_status(Outcome::Status::TimedOut, "timed out"));
    CHECK(r.st("a").phase == Phase::RetryWait);
    CHECK(r.sink.find<StepRetrying>("a")->timed_out);
    r.finish("b", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("b") == "cancelled"s);
  }

  TEST_CASE("backoff_wait doubles and caps") {
    RetryPolicy p;
    p.backoff = Millis(500);
    p.max_backoff = Millis(3000);
    CHECK(backoff_wait(p, 1) == Millis(500));
    CHECK(backoff_wait(p, 2) == Millis(1000));
    CHECK(backoff_wait(p, 3) == Millis(2000));
    CHECK(backoff_wait(p, 4) == Millis(3000));
    CHECK(backoff_wait(p, 60) == Millis(3000));
  }

  TEST_CASE(
      "timeout: a deadline per attempt; at the deadline the attempt is stopped and "
      "counts as timed out") {
    Run r(R"(
[steps.a]
kind = "job"
timeout = "5s"
kill_grace = "2s"
retries = { attempts = 2, backoff = "1s" }
)");
    Launch* a = r.disp.find("a");
    REQUIRE(a);
    REQUIRE(a->ctx.deadline);
    CHECK(*a->ctx.deadline == r.clock.t + Millis(5000));
    CHECK(a->ctx.kill_grace == Millis(2000));
    r.clock.advance(Millis(4999));
    r.pump();
    CHECK_FALSE(r.stop_requested("a"));
    r.clock.advance(Millis(1));
    r.pump();
    CHECK(r.stop_requested("a"));
    r.finish("a", with_status(Outcome::Status::Cancelled));  // the executor saw the stop
    CHECK(r.st("a").phase == Phase::RetryWait);
    CHECK(r.sink.find<StepRetrying>("a")->message == "timed out after 5s"s);
    r.clock.advance(Millis(1000));
    r.pump();
    a = r.disp.find("a");
    REQUIRE(a);
    CHECK(*a->ctx.deadline == r.clock.t + Millis(5000));  // a fresh deadline per attempt
    r.clock.advance(Millis(5000));
    r.pump();
    r.finish("a", with_status(Outcome::Status::TimedOut));
    CHECK(r.status("a") == "timed_out"s);
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  // ---- ordering, interpolation, interrupts ------------------------------------------------

  TEST_CASE("ties: ready steps start by rank (critical path first), then declaration order") {
    Run r(R"(
[steps.x]
kind = "job"
[steps.y]
kind = "job"
[steps.z]
kind = "job"
[steps.y2]
kind = "job"
requires = ["y"]
[steps.z2]
kind = "job"
requires = ["z"]
[steps.z3]
kind = "job"
requires = ["z2"]
)",
          1);
    for (const char* s : {"z", "y", "z2", "x", "y2", "z3"}) {
      REQUIRE(r.disp.active.size() == 1);
      CHECK(r.disp.active[0].ctx.step_id == std::string(s));
      r.finish(s, ok());
    }
    CHECK(r.sched->finished());
  }

  TEST_CASE("interpolation at launch: vars, outputs, shell quoting, defaults") {
    Run r(R"(
[vars]
name = "it's"
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
msg = "v=${steps.a.outputs.v} n=${name} host=${facts.hostname}"
script = "echo ${name} ${raw:name}"
)");
    r.finish("a", ok({{"v", Value("1.2")}}));
    Launch* b = r.disp.find("b");
    REQUIRE(b);
    CHECK(table_find(b->ctx.params, "msg")->as_string() == "v=1.2 n=it's host=testhost"s);
    CHECK(table_find(b->ctx.params, "script")->as_string() == "echo 'it'\\''s' it's"s);
    CHECK(table_find(b->ctx.params, "mode")->as_string() == "fast"s);
  }

  TEST_CASE("interpolation errors fail the step with a clear message") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
msg = "${steps.a.outputs.missing}"
)");
    r.finish("a", ok());
    CHECK(r.status("b") == "failed"s);
    CHECK(r.st("b").message.find("parameter `msg`") != std::string::npos);
    CHECK(r.st("b").message.find("steps.a.outputs.missing") != std::string::npos);
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  TEST_CASE("interrupt: running steps are stopped, then cleanup runs; outcome interrupted") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.next]
kind = "job"
requires = ["a"]
[steps.cleanup]
kind = "job"
after = ["a"]
always = true
)");
    r.sched->interrupt();
    r.pump();
    CHECK(r.stop_requested("a"));
    CHECK(r.sink.all<RunAborting>().size() == 1);
    r.finish("a", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("a") == "cancelled"s);
    CHECK(r.st("next").skip_kind == SkipKind::NotReached);
    CHECK(r.reason("next") == "not started: interrupted"s);
    REQUIRE(r.running("cleanup"));
    r.finish("cleanup", ok());
    REQUIRE(r.sched->finished());
    CHECK(r.sched->summary().outcome == RunOutcome::Interrupted);
  }

  TEST_CASE("interrupt twice: the cleanup is stopped and the rest of it skipped") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.cleanup]
kind = "job"
after = ["a"]
always = true
[steps.cleanup2]
kind = "job"
after = ["cleanup"]
always = true
)");
    r.sched->interrupt();
    r.pump();
    r.finish("a", with_status(Outcome::Status::Cancelled));
    REQUIRE(r.running("cleanup"));
    r.sched->interrupt();
    r.pump();
    CHECK(r.stop_requested("cleanup"));
    auto ab = r.sink.all<RunAborting>();
    REQUIRE(ab.size() == 2);
    CHECK(ab[1].reason.find("skipping cleanup") != std::string::npos);
    r.finish("cleanup", with_status(Outcome::Status::Cancelled));
    CHECK(r.status("cleanup2") == "skipped"s);
    CHECK(r.reason("cleanup2") == "not started: cleanup skipped after a second interrupt"s);
    REQUIRE(r.sched->finished());
  }

  TEST_CASE("interrupt: a step waiting to retry is cancelled") {
    Run r(R"(
[steps.a]
kind = "job"
retries = 3
)");
    r.finish("a", fail());
    r.sched->interrupt();
    r.pump();
    CHECK(r.status("a") == "cancelled"s);
    CHECK(r.sched->finished());
  }

  TEST_CASE("refused: a gate that answered no ends the run refused") {
    Run r(R"(
[steps.gate]
kind = "job"
[steps.after-gate]
kind = "job"
requires = ["gate"]
)");
    Outcome o = fail("answered no");
    o.outputs = {{"answer", Value("no")}, {"refused", Value("true")}};
    r.finish("gate", o);
    REQUIRE(r.sched->finished());
    CHECK(r.sched->summary().outcome == RunOutcome::Refused);
  }

  TEST_CASE("refused: what counts as a refusal") {
    CHECK(is_refusal({{"refused", Value("true")}}));
    CHECK(is_refusal({{"refused", Value(true)}}));
    CHECK_FALSE(is_refusal({{"refused", Value("false")}, {"answer", Value("no")}}));
    CHECK(is_refusal({{"answer", Value("no")}}));
    CHECK_FALSE(is_refusal({{"answer", Value("yes")}}));
    CHECK_FALSE(is_refusal({}));
  }

  TEST_CASE("refused: a refusal beside a real failure is a failure") {
    Run r(R"(
[steps.gate]
kind = "job"
[steps.other]
kind = "job"
)");
    Outcome o = fail("answered no");
    o.outputs = {{"refused", Value("true")}};
    r.finish("other", fail());
    r.finish("gate", o);
    REQUIRE(r.sched->finished());
    CHECK(r.sched->summary().outcome == RunOutcome::Failed);
  }

  TEST_CASE("run(): drives the loop to the end with a scripted dispatcher and fake clock") {
    Run r(R"(
[vars]
secret_pw = { default = "hunter2", secret = true }
[steps.a]
kind = "job"
retries = { attempts = 3, backoff = "10s" }
[steps.b]
kind = "job"
requires = ["a"]
)",
          2, {}, false);
    int a_calls = 0;
    r.disp.script = [&](Launch& l) {
      if (l.ctx.step_id == "a" && ++a_calls < 3) return fail();
      return ok();
    };
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Succeeded);
    CHECK(r.disp.starts == std::vector<std::string>{"a#1", "a#2", "a#3", "b#1"});
    CHECK(s.duration == Millis(30000));  // 10s + 20s of backoff, jumped by the fake clock
    auto started = r.sink.all<RunStarted>();
    REQUIRE(started.size() == 1);
    CHECK(started[0].host == "testhost"s);
    REQUIRE(table_find(started[0].vars, "secret_pw"));
    CHECK(table_find(started[0].vars, "secret_pw")->as_string() == "***"s);
    CHECK(r.sink.flushes > 0);
  }

  TEST_CASE("events: every event has a wall time and monotonic ms since the start") {
    Run r(R"(
[steps.a]
kind = "job"
)");
    r.clock.advance(Millis(1500));
    r.finish("a", ok());
    REQUIRE(r.sink.events.size() == 4);
    CHECK(std::holds_alternative<RunStarted>(r.sink.events[0].body));
    CHECK(std::holds_alternative<StepStarted>(r.sink.events[1].body));
    CHECK(std::holds_alternative<StepFinished>(r.sink.events[2].body));
    CHECK(std::holds_alternative<RunFinished>(r.sink.events[3].body));
    CHECK(r.sink.events[1].mono == Millis(0));
    CHECK(r.sink.events[2].mono == Millis(1500));
    CHECK(r.sink.events[2].time - r.sink.events[0].time == std::chrono::milliseconds(1500));
    CHECK(r.sink.find<StepFinished>("a")->duration == Millis(1500));
  }
}
