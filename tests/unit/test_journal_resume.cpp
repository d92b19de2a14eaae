// Resume planning from a journal: done steps kept, interrupted ones again (or left to the user
// when not idempotent), changed params and their dependents, failures and cleanups, watchers'
// fired counts and mono_ms carried over — with the fake clock and dispatcher (sched_fakes.h).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events_json.h"
#include "fingerprint.h"
#include "journal.h"
#include "journal_replay.h"
#include "journal_test_util.h"
#include "resume.h"
#include "run_lock.h"
#include "run_vars.h"
#include "sched_fakes.h"
#include "sha256.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;
using namespace journal_test;

namespace {

// The recorded events as journal text (what a journal holds after a crash at this point).
std::string journal_text(const RecordingSink& sink) {
  std::string out;
  for (const Event& e : sink.events) out += event_to_json(e) + "\n";
  return out;
}

// Plans a resume of `before` (crashed at its current point) over `plan_toml` and `vars`.
struct ResumeCase {
  Run& before;
  JournalReplay journal;
  std::vector<FileDigest> files;
  std::string salt = "test-salt";
  std::optional<ResumeInputs> in;
  ResumePlan plan;

  ResumeCase(Run& crashed, Run& now) : before(crashed) {
    auto j = parse_journal(journal_text(crashed.sink), "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    journal = std::move(*j);
    in.emplace(
        ResumeInputs{now.plan, *now.graph, now.reg, now.vars, now.facts, journal, salt, files});
    plan = plan_resume(*in);
  }
  StepResume::Action action(Run& now, const std::string& id) const {
    return plan.steps[static_cast<size_t>(now.index(id))].action;
  }
  std::string reason(Run& now, const std::string& id) const {
    return plan.steps[static_cast<size_t>(now.index(id))].reason;
  }
};

using A = StepResume::Action;

}  // namespace

TEST_SUITE("journal") {
  TEST_CASE("resume after a crash: done steps kept, the interrupted one again, then the rest") {
    Run before(kChain, 4, salted());
    before.finish("a", ok({{"v", Value("1")}}));
    REQUIRE(before.running("b"));  // ordo dies here
    Run now(kChain, 4, salted(), /*start_now=*/false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "a") == A::Keep);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "was interrupted (started, never finished)"s);
    CHECK(rc.action(now, "c") == A::Fresh);

    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    CHECK(seed.info.resumes == 1);
    CHECK(seed.info.kept == std::vector<std::string>{"a"});
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(kChain, 4, o);
    CHECK(after.disp.starts == std::vector<std::string>{"b#1"});
    CHECK(event_type_name(after.sink.events.front().body) == "run_resumed"s);
    after.finish("b", ok());
    after.finish("c", ok());
    REQUIRE(after.sched->finished());
    CHECK(after.sched->summary().outcome == RunOutcome::Succeeded);
    CHECK(after.sched->summary().counts.succeeded == 3);
    CHECK(after.status("a") == "succeeded"s);
    CHECK_FALSE(after.sink.find<StepStarted>("a").has_value());
    // The journal of both parts reads as one run.
    std::string whole = journal_text(before.sink) + journal_text(after.sink);
    auto j = parse_journal(whole, "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    CHECK(j->finished);
    CHECK(j->resumes == 1);
    CHECK(j->record.find("b")->state == StepState::Succeeded);
    CHECK(j->record.find("b")->attempts.size() == 2);
  }

  TEST_CASE("resume: a torn last journal line is dropped and the step before it decides") {
    Run before(kChain, 4, salted());
    before.finish("a", ok());
    std::string text = journal_text(before.sink);
    text += "{\"v\":1,\"t\":\"step_finished\",\"ts\":\"2026-11-2";  // cut mid-write
    auto j = parse_journal(text, "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    CHECK(j->record.torn_lines == 1);
    CHECK(j->record.find("b")->state == StepState::Running);
    CHECK(j->unfinished());
  }

  TEST_CASE("resume: an interrupted step that is not idempotent is left to the user") {
    const char* plan = R"(
[steps.a]
kind = "job"
[steps.once]
kind = "job"
idempotent = false
requires = ["a"]
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    REQUIRE(before.running("once"));
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "once") == A::Ask);
    CHECK(rc.plan.asks() == std::vector<int>{now.index("once")});
    rc.plan.steps[static_cast<size_t>(now.index("once"))].action = A::Skip;
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    REQUIRE(after.sched->finished());
    CHECK(after.disp.starts.empty());
    CHECK(after.status("once") == "skipped"s);
    CHECK(after.reason("once").find("--skip-interrupted") != std::string::npos);
    CHECK(seed.info.skipped == std::vector<std::string>{"once"});
    // A later resume keeps the choice.
    auto j = parse_journal(journal_text(before.sink) + journal_text(after.sink), "/x/j.jsonl");
    REQUIRE(j.ok());
    CHECK(j->skipped_by_choice.count("once") == 1);
  }

  TEST_CASE("resume: a step whose params changed runs again and says why; its dependents too") {
    const char* plan = R"(
[vars]
msg = "one"
[steps.a]
kind = "job"
msg = "${msg}"
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
requires = ["b"]
[steps.other]
kind = "job"
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    before.finish("other", ok());
    before.finish("b", ok());
    REQUIRE(before.running("c"));
    Run now(plan, 4, salted(), false);
    Diagnostics d;
    now.vars = resolve_vars(now.plan, {VarOverride{"msg", "two", std::nullopt, {}}}, d);
    REQUIRE_FALSE(d.has_errors());
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "a") == A::Rerun);
    CHECK(rc.reason(now, "a") == "changed since the interrupted run (params differ)"s);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "depends on a, which runs again"s);
    CHECK(rc.action(now, "other") == A::Keep);
    // Unchanged vars: everything done is kept.
    Run same(plan, 4, salted(), false);
    ResumeCase rc2(before, same);
    CHECK(rc2.action(same, "a") == A::Keep);
    CHECK(rc2.action(same, "b") == A::Keep);
  }

  TEST_CASE("resume after a failure: the failed step and the cleanup after it run again") {
    const char* plan = R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
[steps.cleanup]
kind = "job"
always = true
after = ["b"]
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    before.finish("b", fail());
    before.finish("cleanup", ok());
    REQUIRE(before.sched->finished());
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.journal.finished);
    CHECK(rc.action(now, "a") == A::Keep);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "failed in the interrupted run"s);
    CHECK(rc.action(now, "cleanup") == A::Rerun);
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    CHECK(after.disp.starts == std::vector<std::string>{"b#1"});
    after.finish("b", ok());
    after.finish("cleanup", ok());
    REQUIRE(after.sched->finished());
    CHECK(after.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("resume: a watcher's fired count carries over; it starts again with its steps") {
    const char* plan = R"(
[steps.x]
kind = "job"
[steps.y]
kind = "job"
requires = ["x"]
[steps.w]
kind = "watch"
watches = ["x", "y"]
[steps.fix]
kind = "job"
triggered_by = "w"
[steps.reload]
kind = "job"
requires = ["y"]
when = "steps.w.fired == 0"
)";
    Run before(plan, 4, salted());
    REQUIRE(before.running("w"));
    before.fire("w");
    before.finish("fix", ok());
    before.finish("x", ok());
    REQUIRE(before.running("y"));  // crash while y runs
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "x") == A::Keep);
    CHECK(rc.action(now, "y") == A::Rerun);
    CHECK(rc.action(now, "w") == A::Fresh);
    CHECK(rc.reason(now, "w") == "starts again with the steps it watches"s);
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    CHECK(seed.steps[static_cast<size_t>(now.index("w"))].fired == 1);
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    REQUIRE(after.running("y"));
    REQUIRE(after.running("w"));  // beside the watched step that runs again
    CHECK(after.st("w").fired == 1);
    after.fire("w");  // a fresh max_fires budget for the restarted watcher
    CHECK(after.st("w").fired == 2);
    REQUIRE(after.running("fix"));
    after.finish("fix", ok());
    after.finish("y", ok());
    CHECK(after.stop_requested("w"));  // its watched steps are done
    after.finish("w", with_status(Outcome::Status::Cancelled));
    REQUIRE(after.sched->finished());
    CHECK(after.status("reload") == "skipped"s);  // steps.w.fired is not 0
    CHECK(after.st("fix").runs == 2);
  }

  TEST_CASE("resumed mono_ms continue after the earlier part's") {
    Run before(kChain, 4, salted());
    before.clock.advance(Millis(5000));
    before.finish("a", ok());
    Run now(kChain, 4, salted(), false);
    ResumeCase rc(before, now);
    ResumeSeed seed =
        make_resume_seed(*rc.in, rc.plan, before.clock.wall_now() + std::chrono::seconds(60));
    CHECK(seed.mono_offset == Millis(65000));
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(kChain, 4, o);
    CHECK(after.sink.events.front().mono == Millis(65000));
  }
}
