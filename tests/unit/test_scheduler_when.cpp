// Scheduler tests: `when` conditions over earlier steps' outputs and statuses, their errors, and
// the waits they imply — with a fake clock and a fake dispatcher (sched_fakes.h).
#include <doctest/doctest.h>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

TEST_SUITE("scheduler") {
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
}
