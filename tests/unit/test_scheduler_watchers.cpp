// Scheduler tests: watchers (`watches`) and triggered steps (`triggered_by`, max_fires, firings
// while aborting, `fired` counts) — with a fake clock and a fake dispatcher (sched_fakes.h).
#include <doctest/doctest.h>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

TEST_SUITE("scheduler") {
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
}
