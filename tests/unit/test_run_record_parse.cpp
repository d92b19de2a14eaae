// Unit tests: reading a run back from its journal or events file (parse_run_record ->
// RunRecord): the recorded fixture step by step, torn and partial files, format versions and
// unknown records, resumed runs, triggered steps run once per firing, and RunRecord::find.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "render/render.h"
#include "render/report.h"
#include "run_record.h"
#include "run_record_test_util.h"

using namespace ordo;
using namespace run_record_test;
using namespace std::string_literals;

namespace {

// The lines of `text` that mention `t` as record type, joined.
std::string lines_without(const std::string& text, const std::string& t) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("\"t\":\"" + t + "\"") == std::string::npos) out += line + "\n";
  return out;
}

}  // namespace

TEST_SUITE("run_record") {
  TEST_CASE("the recorded run reads back step by step") {
    RunRecord r = fixture();
    CHECK(r.version == 1);
    CHECK(r.run_id == "20261126T021940Z-472b"s);
    CHECK(r.plan == "rescue"s);
    CHECK(r.jobs == 2);
    CHECK(r.started_at == "2026-11-26T02:19:40.325Z"s);
    REQUIRE(r.outcome.has_value());
    CHECK(*r.outcome == RunOutcome::Failed);
    CHECK(r.root_causes == std::vector<std::string>{"upgrade", "slow"});
    CHECK(r.duration == Millis(3515));
    CHECK(r.counts.succeeded == 7);
    CHECK(r.counts.not_reached == 1);
    CHECK(r.aborted);
    CHECK(r.abort_reason == "upgrade failed"s);
    CHECK(r.abort_cause == "upgrade"s);
    CHECK(r.aborted_at == Millis(2024));
    CHECK(r.torn_lines == 0);
    REQUIRE(r.steps.size() == 12);
    CHECK(r.steps[0].id == "preflight"s);
    CHECK(r.steps[11].id == "start-worker"s);
    const Value* secret = table_find(r.vars, "db_password");
    REQUIRE(secret != nullptr);
    CHECK(secret->as_string() == "***"s);

    const StepRecord* flaky = r.find("flaky");
    REQUIRE(flaky != nullptr);
    CHECK(flaky->state == StepState::Succeeded);
    CHECK(flaky->kind == "shell"s);
    REQUIRE(flaky->attempts.size() == 3);
    CHECK(flaky->attempts[0].outcome == StepState::Failed);
    CHECK(flaky->attempts[0].wait == Millis(300));
    CHECK(flaky->attempts[1].start == Millis(315));
    CHECK(flaky->attempts[1].wait == Millis(600));
    CHECK(flaky->attempts[2].outcome == StepState::Succeeded);
    CHECK(flaky->attempts[2].end == Millis(942));
    CHECK(flaky->duration == Millis(932));
    CHECK(flaky->output_tail.back().line == "attempt 3"s);

    const StepRecord* watch = r.find("lock-watch");
    REQUIRE(watch != nullptr);
    CHECK(watch->watcher);
    REQUIRE(watch->firings.size() == 1);
    CHECK(watch->firings[0].at == Millis(1993));
    CHECK(watch->firings[0].triggers == std::vector<std::string>{"end-blockers"});
    CHECK(table_find(watch->firings[0].details, "relation")->as_string() == "events"s);

    const StepRecord* upgrade = r.find("upgrade");
    CHECK(upgrade->state == StepState::Failed);
    CHECK(upgrade->exit_code == 3);
    CHECK(upgrade->message == "exit code 3"s);
    CHECK(r.find("slow")->state == StepState::TimedOut);
    CHECK(r.find("reload")->skip_kind == SkipKind::NotApplicable);
    CHECK(r.find("reload")->skip_reason == "condition false (steps.lock-watch.fired == 0)"s);
    CHECK(r.find("verify")->skip_kind == SkipKind::Blocked);
    CHECK(r.find("verify")->skip_cause == "upgrade"s);
    CHECK(r.find("cleanup-cache")->skip_kind == SkipKind::NotReached);
    CHECK(r.find("cleanup-cache")->attempts.empty());
  }

  TEST_CASE("a torn last line is dropped; the run then has no end") {
    std::string text = fixture_text();
    // Cut the file in the middle of its last record (run_finished), as a crash would.
    size_t last = text.rfind('\n', text.size() - 2);
    std::string torn = text.substr(0, last + 40);
    auto r = parse_run_record(torn, "torn.jsonl");
    REQUIRE(r.ok());
    CHECK(r->torn_lines == 1);
    CHECK_FALSE(r->outcome.has_value());
    CHECK(r->duration == Millis(3515));  // the last whole record's mono_ms
    CHECK(r->find("slow")->state == StepState::TimedOut);

    // The same cut in the middle of the file is an error that names the line.
    std::string broken = torn + "\n" + text.substr(last + 1);
    auto bad = parse_run_record(broken, "broken.jsonl");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "broken.jsonl:44: not a JSON object"s);
  }

  TEST_CASE("a run still going: started steps are running, the rest not run") {
    std::string text = fixture_text();
    std::string upto = text.substr(0, text.find("\"t\":\"watcher_fired\""));
    upto = upto.substr(0, upto.rfind('\n') + 1);
    auto r = parse_run_record(upto, "partial.jsonl");
    REQUIRE(r.ok());
    CHECK(r->torn_lines == 0);
    CHECK_FALSE(r->finished());
    CHECK(r->find("migrate")->state == StepState::Running);
    CHECK_FALSE(r->find("migrate")->attempts[0].end.has_value());
    CHECK(r->find("upgrade")->state == StepState::NotRun);
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, *r);
    CHECK(o.state["migrate"] == "running"s);
    CHECK(o.state.count("upgrade") == 0);  // not coloured: it may still run
  }

  TEST_CASE("versions, a missing start and unknown records") {
    auto v2 = parse_run_record(R"({"v":2,"t":"run_started","mono_ms":0})"
                               "\n",
                               "x.jsonl");
    REQUIRE_FALSE(v2.ok());
    CHECK(v2.error().message ==
          "x.jsonl:1: format version 2 is not supported (this ordo reads version 1)"s);
    auto headless = parse_run_record(lines_without(fixture_text(), "run_started"), "y.jsonl");
    REQUIRE_FALSE(headless.ok());
    CHECK(headless.error().message.find("expected a run_started or run_resumed record first") !=
          std::string::npos);
    auto empty = parse_run_record("", "z.jsonl");
    REQUIRE_FALSE(empty.ok());

    std::string extra =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r","plan":"p","steps":["a"],"new_field":1})"
        "\n"
        R"({"v":1,"t":"something_new","mono_ms":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":2,"step":"a","attempt":1,"command":"echo hi"})"
        "\n";
    auto r = parse_run_record(extra, "e.jsonl");
    REQUIRE(r.ok());
    CHECK(r->unknown_records == 1);
    CHECK(r->find("a")->command == "echo hi"s);
    CHECK(r->find("a")->state == StepState::Running);
  }

  TEST_CASE("a resumed run reads as its last part: outcome, abort and attempts") {
    // Part 1: `a` succeeds, `b` fails (the run aborts), `w` watches and `c` is running when ordo
    // is killed. Part 2 (ordo resume) keeps a and w, runs b and c again, and succeeds.
    std::string part1 =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r1","plan":"p","steps":["a","w","b","c"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"a","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"w","attempt":1,"watcher":true})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":10,"step":"a","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"b","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"c","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":20,"step":"b","status":"failed","exit_code":1,"message":"exit code 1","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"run_aborting","mono_ms":20,"reason":"b failed","cause":"b"})"
        "\n";
    std::string part2 =
        R"({"v":1,"t":"run_resumed","mono_ms":500,"run":"r1","plan":"p","steps":["a","w","b","c"],"resumes":1,"kept":["a","w"],"rerun":[{"step":"b","reason":"failed"},{"step":"c","reason":"was interrupted"}]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":500,"step":"b","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":500,"step":"c","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":510,"step":"b","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":530,"step":"c","status":"succeeded","duration_ms":30})"
        "\n";
    std::string end =
        R"({"v":1,"t":"run_finished","mono_ms":530,"outcome":"succeeded","duration_ms":530,"counts":{"succeeded":4}})"
        "\n";

    auto r = parse_run_record(part1 + part2 + end, "resumed.jsonl");
    REQUIRE(r.ok());
    CHECK(r->unknown_records == 0);
    CHECK(r->resumes == 1);
    REQUIRE(r->resumed_at.size() == 1);
    CHECK(r->resumed_at[0] == Millis(20));
    REQUIRE(r->outcome.has_value());
    CHECK(*r->outcome == RunOutcome::Succeeded);
    CHECK_FALSE(r->aborted);
    CHECK(r->abort_reason == ""s);
    CHECK(r->counts.succeeded == 4);
    CHECK(r->duration == Millis(530));

    const StepRecord* b = r->find("b");
    CHECK(b->state == StepState::Succeeded);
    REQUIRE(b->attempts.size() == 2);
    CHECK(b->attempts[0].outcome == StepState::Failed);
    CHECK(b->attempts[1].outcome == StepState::Succeeded);

    // c's first attempt was cut off by the kill: it ended with the earlier part, interrupted.
    const StepRecord* c = r->find("c");
    CHECK(c->state == StepState::Succeeded);
    REQUIRE(c->attempts.size() == 2);
    REQUIRE(c->attempts[0].end.has_value());
    CHECK(*c->attempts[0].end == Millis(20));
    CHECK(c->attempts[0].outcome == StepState::Cancelled);
    CHECK(c->attempts[0].message == "interrupted: ordo stopped"s);
    CHECK(c->attempts[1].start == Millis(500));
    CHECK(c->attempts[1].outcome == StepState::Succeeded);
    CHECK(c->attempts[0].run == c->attempts[1].run);  // one run of the step, two attempts

    // The kept watcher was open when ordo died; kept, it counts as stopped: succeeded.
    const StepRecord* w = r->find("w");
    CHECK(w->state == StepState::Succeeded);
    REQUIRE(w->attempts.size() == 1);
    CHECK(w->attempts[0].outcome == StepState::Succeeded);
    CHECK(r->find("a")->state == StepState::Succeeded);
    CHECK(r->find("a")->attempts.size() == 1);

    // Killed again during part 2: no outcome (not part 1's), nothing aborted, c running.
    auto again =
        parse_run_record(part1 + part2.substr(0, part2.find("\n") + 1) +
                             R"({"v":1,"t":"step_started","mono_ms":500,"step":"c","attempt":1})"
                             "\n",
                         "again.jsonl");
    REQUIRE(again.ok());
    CHECK_FALSE(again->finished());
    CHECK_FALSE(again->aborted);
    CHECK(again->find("c")->state == StepState::Running);
    CHECK(again->find("b")->state == StepState::Failed);  // from part 1, not run again yet

    // An --events file of the resume alone starts with run_resumed.
    auto alone = parse_run_record(part2 + end, "events.jsonl");
    REQUIRE_MESSAGE(alone.ok(), (alone.ok() ? ""s : alone.error().str()));
    CHECK(alone->run_id == "r1"s);
    CHECK(alone->resumes == 1);
    CHECK(*alone->outcome == RunOutcome::Succeeded);
    CHECK(alone->find("c")->attempts.size() == 1);
  }

  TEST_CASE("a triggered step that runs once per firing keeps every run") {
    std::string text =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r","plan":"p","steps":["w","t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"w","attempt":1,"watcher":true})"
        "\n"
        R"({"v":1,"t":"watcher_fired","mono_ms":10,"step":"w","count":1,"triggers":["t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"t","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":20,"step":"t","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"watcher_fired","mono_ms":30,"step":"w","count":2,"triggers":["t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":30,"step":"t","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_retrying","mono_ms":35,"step":"t","attempt":2,"wait_ms":5,"timed_out":true})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":40,"step":"t","attempt":2})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":45,"step":"t","status":"failed","exit_code":1,"duration_ms":15})"
        "\n";
    auto r = parse_run_record(text, "t.jsonl");
    REQUIRE(r.ok());
    const StepRecord* t = r->find("t");
    CHECK(t->runs == 2);
    REQUIRE(t->attempts.size() == 3);
    CHECK(t->attempts[0].run == 1);
    CHECK(t->attempts[1].run == 2);
    CHECK(t->attempts[1].outcome == StepState::TimedOut);
    CHECK(t->attempts[2].run == 2);
    CHECK(t->attempts[2].attempt == 2);
    CHECK(t->state == StepState::Failed);
    CHECK(r->find("w")->firings.size() == 2);
  }
}

TEST_CASE("RunRecord::find: by the parser's index, and by a scan for a record built by hand") {
  RunRecord r = fixture();
  REQUIRE(r.step_index.size() == r.steps.size());
  for (const StepRecord& s : r.steps) {
    const StepRecord* found = r.find(s.id);
    REQUIRE(found != nullptr);
    CHECK(found == &s);
  }
  CHECK(r.find("no-such-step") == nullptr);

  RunRecord by_hand;
  StepRecord a;
  a.id = "a";
  StepRecord b;
  b.id = "b";
  by_hand.steps = {a, b};
  REQUIRE(by_hand.find("b") != nullptr);
  CHECK(by_hand.find("b")->id == "b"s);
  CHECK(by_hand.find("c") == nullptr);
}
