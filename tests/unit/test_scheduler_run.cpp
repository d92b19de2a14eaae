// Scheduler tests: the run as a whole — start order of ready steps, interpolation at launch,
// interrupts, refusals, run() driving the loop, event timestamps — with a fake clock and a fake
// dispatcher (sched_fakes.h): no threads, no sleeps.
#include <doctest/doctest.h>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

TEST_SUITE("scheduler") {
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
