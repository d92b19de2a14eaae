// Scheduler tests: retries and their backoff schedule (jitter, caps, waiting without a slot) and
// per-attempt timeouts — with a fake clock and a fake dispatcher (sched_fakes.h): no sleeps.
#include <doctest/doctest.h>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

TEST_SUITE("scheduler") {
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
}
