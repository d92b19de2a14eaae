// What a run leaves behind: console lines (plain and live), the JSON-lines events, the state
// directory layout and modes, the per-step log files.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "console.h"
#include "event_fixtures.h"
#include "events_json.h"
#include "state_dir.h"
#include "step_logs.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

using test_events::ev;
using test_events::kT0;

ConsoleOptions plain() {
  ConsoleOptions o;
  o.clock_text = [](std::chrono::system_clock::time_point) { return "12:00:01"s; };
  o.logs_dir = "/state/p/runs/R";
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/ordo-output-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempDir() {
    if (std::uncaught_exceptions() > 0 || std::getenv("ORDO_KEEP_TEST_DIRS")) return;
    [[maybe_unused]] int rc = std::system(("rm -rf '" + dir + "'").c_str());
  }
};

}  // namespace

TEST_SUITE("run_output") {
  TEST_CASE("console, plain mode: one timestamped line per event, no step output") {
    std::ostringstream out;
    ConsoleSink c(out, plain());
    c.on_event(ev(RunStarted{"R",
                             "p",
                             "p.toml",
                             "h",
                             2,
                             {"backup-db", "pip-indico"},
                             {},
                             "",
                             {},
                             std::nullopt,
                             {},
                             {}}));
    c.on_event(ev(StepStarted{"backup-db", 1, false, "shell", ""}));
    c.on_event(ev(StepOutput{"backup-db", OutputStream::Stdout, "dumping"}));
    c.on_event(ev(StepFinished{"backup-db", StepStatus::Succeeded, 1, 0, "", {}, Millis(2100)}));
    c.on_event(ev(StepStarted{"pip-indico", 2, false, "shell", ""}));
    c.on_event(ev(StepSkipped{"reload-uwsgi", SkipKind::NotApplicable,
                              "condition false (steps.w.fired == 0)", ""}));
    c.on_event(ev(StepRetrying{"pip-indico", 3, Millis(4000), "exit code 1", false}));
    c.on_event(ev(WatcherFired{"w", 1, {{"blockers", Value("pid 42\npid 43")}}, {"restart"}}));
    c.on_event(
        ev(StepFinished{"pip-indico", StepStatus::Failed, 3, 1, "exit code 1", {}, Millis(100)}));
    c.on_event(ev(StepWarning{"w", "database unreachable"}));
    CHECK(out.str() ==
          "12:00:01 run   p (2 steps, -j 2, run R)\n"
          "12:00:01 start backup-db\n"
          "12:00:01 ok    backup-db (2.1s)\n"
          "12:00:01 start pip-indico (attempt 2)\n"
          "12:00:01 skip  reload-uwsgi: condition false (steps.w.fired == 0)\n"
          "12:00:01 retry pip-indico: exit code 1; attempt 3 in 4s\n"
          "12:00:01 fired w: blockers = pid 42;pid 43 -> restart\n"
          "12:00:01 FAIL  pip-indico: exit code 1\n"
          "12:00:01 warn  w: database unreachable\n"s);
  }

  TEST_CASE("console summary: root cause with its last output, what it blocked, the logs") {
    std::ostringstream out;
    ConsoleOptions o = plain();
    o.tail_lines = 2;
    ConsoleSink c(out, o);
    c.on_event(ev(RunStarted{
        "R", "p", "p.toml", "h", 1, {"a", "b", "c", "d", "h"}, {}, "", {}, std::nullopt, {}, {}}));
    c.on_event(ev(StepStarted{"a", 1, false, "shell", ""}));
    for (const char* l : {"one", "two", "\x1b[31mERROR\x1b[0m: three"})
      c.on_event(ev(StepOutput{"a", OutputStream::Stderr, l}));
    c.on_event(ev(StepFinished{"a", StepStatus::Failed, 1, 2, "exit code 2", {}, Millis(10)}));
    c.on_event(ev(StepSkipped{"b", SkipKind::Blocked, "requires a, which failed", "a"}));
    c.on_event(ev(StepSkipped{"c", SkipKind::Blocked,
                              "requires b, which was skipped because a failed", "a"}));
    c.on_event(ev(StepSkipped{"d", SkipKind::NotApplicable, "not needed", ""}));
    c.on_event(ev(StepFinished{"h", StepStatus::Failed, 1, 1, "exit code 1", {}, Millis(10)}));
    StepCounts counts;
    counts.failed = 2;
    counts.skipped = 3;
    counts.blocked = 2;
    counts.not_applicable = 1;
    out.str("");
    c.on_event(ev(RunFinished{RunOutcome::Failed, counts, {"a"}, Millis(1500)}));
    CHECK(
        out.str() ==
        "\nRun FAILED after 1.5s: 2 failed, 3 skipped (1 not applicable, 2 blocked by a failure)\n"
        "  root cause: a failed: exit code 2\n"
        "    last output (steps/a.log):\n"
        "      | two\n"
        "      | ERROR: three\n"
        "    skipped because of it: b, c\n"
        "  failed but handled: h\n"
        "Logs: /state/p/runs/R (steps/<id>.log for each step that printed output or did "
        "not succeed)\n"s);
  }

  TEST_CASE("console, live mode: running steps redrawn in place, finished ones scroll above") {
    std::ostringstream out;
    ConsoleOptions o;
    o.live = true;
    o.color = true;
    o.width = [] { return 40; };
    ConsoleSink c(out, o);
    c.on_event(ev(StepStarted{"db-upgrade", 1, false, "shell", ""}));
    c.on_event(ev(StepStarted{"watchdog", 1, true, "shell", ""}));
    std::string first = out.str();
    CHECK(first.find("db-upgrade") != std::string::npos);
    CHECK(first.find("(watching)") != std::string::npos);
    out.str("");
    c.on_event(ev(StepOutput{"db-upgrade", OutputStream::Stdout,
                             "INFO  [alembic] Running upgrade a -> b, a very long line indeed"},
                  1000));
    std::string redraw = out.str();
    CHECK(redraw.rfind("\r\x1b[2A\x1b[J", 0) == 0);  // back up over the 2 live lines
    CHECK(redraw.find("1.0s") != std::string::npos);
    CHECK(redraw.find("…") != std::string::npos);  // cut to the terminal width
    CHECK(redraw.find("INFO  [alembic]") != std::string::npos);
    out.str("");
    c.on_event(
        ev(StepFinished{"db-upgrade", StepStatus::Succeeded, 1, 0, "", {}, Millis(2100)}, 2100));
    std::string fin = out.str();
    CHECK(fin.rfind("\r\x1b[2A\x1b[J", 0) == 0);
    CHECK(fin.find("✓") != std::string::npos);
    CHECK(fin.find("db-upgrade (2.1s)\n") != std::string::npos);
    CHECK(fin.find("watchdog") != std::string::npos);  // still live, drawn again below
    out.str("");
    c.on_tick(kT0, Millis(2500));
    CHECK(out.str().rfind("\r\x1b[1A\x1b[J", 0) == 0);  // only the watcher is live now
  }

  TEST_CASE("console, live mode: no live area while a confirm gate owns the terminal") {
    std::ostringstream out;
    ConsoleOptions o;
    o.live = true;
    ConsoleSink c(out, o);
    c.on_event(ev(StepStarted{"long", 1, false, "shell", ""}));
    c.on_event(ev(StepStarted{"go-ahead", 1, false, "confirm", ""}));
    out.str("");
    c.on_tick(kT0, Millis(1000));
    c.on_event(ev(StepOutput{"long", OutputStream::Stdout, "working"}, 2000));
    CHECK(out.str().find("long") == std::string::npos);
    c.on_event(
        ev(StepFinished{"go-ahead", StepStatus::Succeeded, 1, 0, "", {}, Millis(3000)}, 3000));
    CHECK(out.str().find("go-ahead (3s)") != std::string::npos);
    CHECK(out.str().find("long") != std::string::npos);  // drawn again
  }

  TEST_CASE("sanitize_line and fit_columns keep one terminal line") {
    CHECK(sanitize_line("a\tb\x1b[1;31mred\x1b[0m\x07") == "a bred"s);
    CHECK(sanitize_line("10%\r20%\r30%") == "30%"s);
    CHECK(fit_columns("abcdef", 4) == "abc…"s);
    CHECK(fit_columns("abcd", 4) == "abcd"s);
    CHECK(fit_columns("ééééé", 3) == "éé…"s);
  }

  TEST_CASE("events JSON: versioned records with every documented field") {
    CHECK(format_utc_ms(kT0) == "2026-11-26T01:02:03.456Z"s);
    std::string line = event_to_json(ev(StepFinished{"a",
                                                     StepStatus::TimedOut,
                                                     2,
                                                     -1,
                                                     "timed out after 5s",
                                                     {{"version", Value("3.3")}},
                                                     Millis(5012)},
                                        7));
    CHECK(line ==
          R"({"v":1,"t":"step_finished","ts":"2026-11-26T01:02:03.463Z","mono_ms":7,"step":"a",)"
          R"("status":"timed_out","attempt":2,"exit_code":-1,"message":"timed out after 5s",)"
          R"("outputs":{"version":"3.3"},"duration_ms":5012})"s);
    auto skip = nlohmann::json::parse(
        event_to_json(ev(StepSkipped{"b", SkipKind::Blocked, "requires a, which failed", "a"})));
    CHECK(skip["t"] == "step_skipped");
    CHECK(skip["kind"] == "blocked");
    CHECK(skip["cause"] == "a");
    auto fin = nlohmann::json::parse(
        event_to_json(ev(RunFinished{RunOutcome::Interrupted, {}, {}, Millis(3)})));
    CHECK(fin["outcome"] == "interrupted");
    CHECK(fin["counts"]["not_reached"] == 0);
    CHECK(fin["root_causes"].is_array());
  }

  TEST_CASE("events JSON: run_started lists every step id in order, escaped like any string") {
    RunStarted rs;
    rs.run_id = "r1";
    rs.plan = "p";
    rs.path = "say \"steps\":[] here";  // the member's text inside a value changes nothing
    rs.jobs = 2;
    rs.steps = {"a", "b\"q", "c\\d", "e"};
    rs.vars = {{"steps", Value(ValueList{})}};  // a variable named like the member
    rs.digest = "d";
    const std::string line = event_to_json(ev(RunStarted(rs), 5));
    nlohmann::ordered_json want;  // what the Json of the whole event writes
    want["v"] = 1;
    want["t"] = "run_started";
    want["ts"] = "2026-11-26T01:02:03.461Z";
    want["mono_ms"] = 5;
    want["run"] = "r1";
    want["plan"] = "p";
    want["path"] = rs.path;
    want["host"] = "";
    want["jobs"] = 2;
    want["steps"] = rs.steps;
    want["vars"] = {{"steps", nlohmann::ordered_json::array()}};
    want["digest"] = "d";
    want["files"] = nlohmann::ordered_json::array();
    CHECK(line == want.dump());
    rs.steps.clear();
    CHECK(nlohmann::json::parse(event_to_json(ev(RunStarted(rs), 5)))["steps"].empty());
  }

  TEST_CASE("events JSON: invalid UTF-8 in output is replaced, not an error") {
    std::string line = event_to_json(ev(StepOutput{"a", OutputStream::Stderr, "bad \xff byte"}));
    auto j = nlohmann::json::parse(line);
    CHECK(j["line"] == "bad \xEF\xBF\xBD byte");
    CHECK(j["stream"] == "stderr");
  }

  TEST_CASE("events JSON: the sink writes one line per event") {
    std::ostringstream out;
    JsonLinesSink sink(out);
    sink.on_event(ev(StepStarted{"a", 1, false, "shell", ""}));
    sink.on_event(ev(StepWarning{"a", "hm"}));
    std::string s = out.str();
    CHECK(std::count(s.begin(), s.end(), '\n') == 2);
    CHECK(s.find(R"("t":"step_warning")") != std::string::npos);
  }

  TEST_CASE("state dir: the default follows root, XDG_STATE_HOME, then HOME") {
    CHECK(default_state_dir(true, "/x", "/home/u") == "/var/lib/ordo"s);
    CHECK(default_state_dir(false, "/xdg", "/home/u") == "/xdg/ordo"s);
    CHECK(default_state_dir(false, "relative", "/home/u") == "/home/u/.local/state/ordo"s);
    CHECK(default_state_dir(false, nullptr, "/home/u") == "/home/u/.local/state/ordo"s);
  }

  TEST_CASE("state dir: run ids are the UTC time and a short random suffix") {
    CHECK(make_run_id(kT0, 0x1a2b) == "20261126T010203Z-1a2b"s);
    CHECK(make_run_id(kT0, 0xffff1a2b) == "20261126T010203Z-1a2b"s);
    CHECK(new_run_id().size() == 21);
  }

  TEST_CASE("state dir: run directories are 0700, private files 0600") {
    TempDir t;
    auto p = create_run_dirs(t.dir + "/state", "indico-3x", "RUN");
    REQUIRE(p.ok());
    CHECK(p->run_dir == t.dir + "/state/indico-3x/runs/RUN");
    CHECK(p->step_log("db") == t.dir + "/state/indico-3x/runs/RUN/steps/db.log");
    CHECK(mode_of(t.dir + "/state") == 0700);
    CHECK(mode_of(p->run_dir) == 0700);
    CHECK(mode_of(p->steps_dir) == 0700);
    REQUIRE(create_private_file(p->log_file).ok());
    CHECK(mode_of(p->log_file) == 0600);
    CHECK_FALSE(create_run_dirs("/proc/no/such", "p", "r").ok());
  }

  TEST_CASE("step logs: every attempt's output in the step's file, with ordo's marks") {
    TempDir t;
    {
      StepLogSink logs(t.dir);
      logs.on_event(ev(StepStarted{"a", 1, false, "shell", ""}));
      logs.on_event(ev(StepOutput{"a", OutputStream::Stdout, "out 1"}));
      logs.on_event(ev(StepOutput{"a", OutputStream::Stderr, "err 1"}));
      logs.on_event(ev(StepRetrying{"a", 2, Millis(1000), "exit code 1", false}));
      logs.on_event(ev(StepStarted{"a", 2, false, "shell", ""}));
      logs.on_event(ev(StepOutput{"a", OutputStream::Info, "note"}));
      logs.drain();
      CHECK(read_file(t.dir + "/a.log").find("# note\n") != std::string::npos);  // written
      logs.on_event(ev(StepFinished{"a", StepStatus::Succeeded, 2, 0, "", {}, Millis(1500)}));
    }
    std::string log = read_file(t.dir + "/a.log");
    CHECK(log ==
          "ordo: step a attempt 1 started at 2026-11-26T01:02:03.456Z\n"
          "out 1\n"
          "err 1\n"
          "ordo: attempt 1 failed: exit code 1; retrying in 1s\n"
          "ordo: step a attempt 2 started at 2026-11-26T01:02:03.456Z\n"
          "# note\n"
          "ordo: a succeeded after 1.5s\n"s);
    CHECK(mode_of(t.dir + "/a.log") == 0600);
  }

  TEST_CASE("step logs: without drain, a running step's lines and ended steps' files still come" *
            doctest::timeout(20)) {
    TempDir t;
    StepLogSink logs(t.dir);
    auto wait_for_text = [&](const std::string& file, const std::string& want) {
      for (int i = 0; i < 1000; ++i) {  // poll (5 s at most): the writer runs on its own
        if (::access((t.dir + "/" + file).c_str(), F_OK) == 0 &&
            read_file(t.dir + "/" + file).find(want) != std::string::npos)
          return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return false;
    };
    logs.on_event(ev(StepStarted{"run", 1, false, "shell", ""}));
    logs.on_event(ev(StepOutput{"run", OutputStream::Stdout, "progress 1"}));
    logs.flush();
    CHECK(wait_for_text("run.log", "progress 1\n"));  // tail -f follows a running step
    // Ended steps' files are batched, but written within kBatchDelay without further turns.
    for (int i = 0; i < 3; ++i) {
      const std::string id = "q" + std::to_string(i);
      logs.on_event(ev(StepStarted{id, 1, false, "shell", ""}));
      logs.on_event(ev(StepOutput{id, OutputStream::Stdout, "done"}));
      logs.on_event(ev(StepFinished{id, StepStatus::Succeeded, 1, 0, "", {}, Millis(5)}));
      logs.flush();
    }
    for (int i = 0; i < 3; ++i)
      CHECK(wait_for_text("q" + std::to_string(i) + ".log", "succeeded after 5ms\n"));
    // A full batch of ended steps in one turn.
    for (size_t i = 0; i < StepLogSink::kBatch + 1; ++i) {
      const std::string id = "b" + std::to_string(i);
      logs.on_event(ev(StepStarted{id, 1, false, "shell", ""}));
      logs.on_event(ev(StepFinished{id, StepStatus::Failed, 1, 1, "exit code 1", {}, Millis(5)}));
    }
    logs.flush();
    CHECK(wait_for_text("b" + std::to_string(StepLogSink::kBatch) + ".log", "failed"));
    CHECK(wait_for_text("b0.log", "ordo: step b0 attempt 1 started"));
  }

  TEST_CASE(
      "step logs: a quiet step that succeeds has no file; a quiet one that fails, its start "
      "and end; an unfinished one, its start; a retried one, every attempt") {
    TempDir t;
    {
      StepLogSink logs(t.dir);
      logs.on_event(ev(StepStarted{"quiet", 1, false, "shell", ""}));
      logs.on_event(ev(StepStarted{"fails", 1, false, "shell", ""}));
      logs.on_event(ev(StepStarted{"hang", 1, false, "shell", ""}));
      logs.on_event(ev(StepStarted{"retried", 1, false, "shell", ""}));
      logs.flush();
      logs.drain();
      CHECK(::access((t.dir + "/quiet.log").c_str(), F_OK) != 0);  // held until output or end
      logs.on_event(ev(StepFinished{"quiet", StepStatus::Succeeded, 1, 0, "", {}, Millis(20)}));
      logs.on_event(
          ev(StepFinished{"fails", StepStatus::Failed, 1, 1, "exit code 1", {}, Millis(20)}));
      logs.on_event(ev(StepRetrying{"retried", 2, Millis(1000), "exit code 1"}));
      logs.drain();
      // Attempt 2 is quiet and succeeds: the file has attempt 1, so it gets the end too.
      logs.on_event(ev(StepStarted{"retried", 2, false, "shell", ""}));
      logs.on_event(ev(StepFinished{"retried", StepStatus::Succeeded, 2, 0, "", {}, Millis(30)}));
      logs.drain();
      CHECK(::access((t.dir + "/quiet.log").c_str(), F_OK) != 0);
      CHECK(read_file(t.dir + "/fails.log") ==
            "ordo: step fails attempt 1 started at 2026-11-26T01:02:03.456Z\n"
            "ordo: fails failed: exit code 1 after 20ms\n"s);
      CHECK(read_file(t.dir + "/retried.log") ==
            "ordo: step retried attempt 1 started at 2026-11-26T01:02:03.456Z\n"
            "ordo: attempt 1 failed: exit code 1; retrying in 1s\n"
            "ordo: step retried attempt 2 started at 2026-11-26T01:02:03.456Z\n"
            "ordo: retried succeeded after 30ms\n"s);
    }
    CHECK(read_file(t.dir + "/hang.log") ==
          "ordo: step hang attempt 1 started at 2026-11-26T01:02:03.456Z\n"s);
  }
}
