// ProcessReactor with the real Scheduler, the built-in executors and real processes: shell and
// exec steps run on the scheduler thread (spawned in launch(), watched in wait()), everything
// else on the worker pool. Checks overlap at -j 2, output and outputs, a timeout that kills the
// group, an interrupt from another thread, spawn errors and a mix with pool executors.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "builtin.h"
#include "process_reactor.h"
#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

namespace {

struct ReactorRun {
  Registry reg = builtin_registry();
  Diagnostics diags;
  Plan plan;
  std::optional<Graph> graph;
  VarValues vars;
  Facts facts;
  SystemRunClock clock;
  ProcessReactor disp;
  RecordingSink sink;
  std::unique_ptr<Scheduler> sched;

  ReactorRun(const std::string& steps, int jobs) {
    load_test_plan(steps, diags, plan, graph, vars);
    SchedulerOptions opt;
    opt.jobs = jobs;
    opt.run_id = "reactor-test";
    sched = std::make_unique<Scheduler>(RunInputs{plan, *graph, reg, vars, facts}, clock, disp,
                                        sink, opt);
  }
  std::string status(const std::string& id) const {
    auto s = sched->state().status_name(graph->index(id));
    return s ? *s : "-";
  }
  std::optional<StepFinished> finished(const std::string& id) const {
    return sink.find<StepFinished>(id);
  }
};

struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/ordo-reactor-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
};

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

}  // namespace

TEST_SUITE("process_reactor") {
  TEST_CASE("-j 2 runs two shell steps at the same time on the scheduler thread" *
            doctest::timeout(30)) {
    TempDir t;
    // Each step marks its start, then waits (5 s at most) for the other's mark.
    const std::string meet = "touch " + t.dir + "/$0; i=0; while [ ! -e " + t.dir +
                             "/$1 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; "
                             "[ -e " +
                             t.dir + "/$1 ]";
    ReactorRun r("[steps.a]\nkind = \"exec\"\nargv = [\"sh\", \"-c\", \"" + meet +
                     "\", \"a\", \"b\"]\n"
                     "[steps.b]\nkind = \"exec\"\nargv = [\"sh\", \"-c\", \"" +
                     meet + "\", \"b\", \"a\"]\n",
                 2);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Succeeded);
    CHECK(r.status("a") == "succeeded");
    CHECK(r.status("b") == "succeeded");
    CHECK(r.disp.started() == 2);  // both on the scheduler thread, not on the pool
    CHECK(r.disp.running() == 0);
  }

  TEST_CASE("output lines, captured stdout and exit codes reach the scheduler" *
            doctest::timeout(30)) {
    ReactorRun r(R"(
[steps.a]
kind = "shell"
script = "echo one; echo two >&2; printf last"

[steps.b]
kind = "exec"
argv = ["sh", "-c", "exit 3"]
success_codes = [0, 3]
requires = ["a"]

[steps.c]
kind = "shell"
script = "echo got ${steps.a.outputs.stdout} ${steps.b.outputs.exit_code}"
requires = ["b"]

[steps.d]
kind = "shell"
script = "exit 4"
requires = ["c"]
)",
                 2);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Failed);
    std::vector<std::string> a_lines, c_lines;
    for (const auto& o : r.sink.all<StepOutput>()) {
      if (o.step == "a")
        a_lines.push_back((o.stream == OutputStream::Stderr ? "E:" : "O:") + o.line);
      if (o.step == "c") c_lines.push_back(o.line);
    }
    CHECK(a_lines == std::vector<std::string>{"O:one", "E:two", "O:last"});
    CHECK(c_lines == std::vector<std::string>{"got one", "last 3"});  // a's stdout: 2 lines
    REQUIRE(r.finished("b").has_value());
    CHECK(r.status("b") == "succeeded");
    CHECK(r.finished("b")->exit_code == 3);
    REQUIRE(r.finished("d").has_value());
    CHECK(r.status("d") == "failed");
    CHECK(r.finished("d")->message == "exit code 4");
  }

  TEST_CASE("every attempt of a retried step gets the step's environment" * doctest::timeout(30)) {
    // The reactor takes the environment out of an attempt's context (take_process_spec): the
    // next attempt must have its own, not ordo's.
    TempDir t;
    ReactorRun r(
        "[steps.a]\nkind = \"shell\"\nenv = { FOO = \"bar\" }\n"
        "retries = { attempts = 3, backoff = \"10ms\" }\n"
        "script = \"echo \\\"$FOO/$ORDO_STEP\\\" >> " +
            t.dir + "/seen; [ $(wc -l < " + t.dir +
            "/seen) -ge 3 ]\"\n"
            "[steps.b]\nkind = \"exec\"\nenv = { FOO = \"baz\" }\n"
            "retries = { attempts = 2, backoff = \"10ms\" }\nrequires = [\"a\"]\n"
            "argv = [\"sh\", \"-c\", \"echo $FOO >> " +
            t.dir + "/seen_b; [ $(wc -l < " + t.dir + "/seen_b) -ge 2 ]\"]\n",
        1);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Succeeded);
    std::ifstream in(t.dir + "/seen");
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == "bar/a\nbar/a\nbar/a\n"s);
    std::ifstream in_b(t.dir + "/seen_b");
    std::stringstream ss_b;
    ss_b << in_b.rdbuf();
    CHECK(ss_b.str() == "baz\nbaz\n"s);
  }

  TEST_CASE("a timeout terminates the whole group, grandchildren too" * doctest::timeout(30)) {
    TempDir t;
    const std::string pidfile = t.dir + "/grandchild";
    ReactorRun r("[steps.slow]\nkind = \"shell\"\nscript = \"sleep 30 & echo $! > " + pidfile +
                     "; wait\"\ntimeout = \"500ms\"\nkill_grace = \"300ms\"\n",
                 1);
    const auto t0 = std::chrono::steady_clock::now();
    RunSummary s = r.sched->run();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    CHECK(s.outcome == RunOutcome::Failed);
    CHECK(r.status("slow") == "timed_out");
    REQUIRE(r.finished("slow").has_value());
    CHECK(r.finished("slow")->message.starts_with("timed out after 500ms"));
    std::ifstream f(pidfile);
    pid_t grandchild = 0;
    f >> grandchild;
    REQUIRE(grandchild > 0);
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {  // reaped by init: poll, do not sleep-and-hope
      gone = !alive(grandchild);
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(gone);
  }

  TEST_CASE("interrupt() from another thread cancels a running shell step" * doctest::timeout(30)) {
    ReactorRun r(R"(
[steps.hang]
kind = "shell"
script = "sleep 30"
kill_grace = "1s"

[steps.cleanup]
kind = "shell"
script = "echo cleaned"
always = true
requires = ["hang"]
)",
                 2);
    std::thread interrupter([&] {
      for (int i = 0; i < 1000 && !r.sink.find<StepStarted>("hang"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r.sched->interrupt();
    });
    const auto t0 = std::chrono::steady_clock::now();
    RunSummary s = r.sched->run();
    interrupter.join();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    CHECK(s.outcome == RunOutcome::Interrupted);
    CHECK(r.status("hang") == "cancelled");
    CHECK(r.status("cleanup") == "succeeded");
  }

  TEST_CASE("a program that cannot start fails the step; pool executors run alongside" *
            doctest::timeout(30)) {
    ReactorRun r(R"(
[steps.quiet]
kind = "noop"

[steps.after]
kind = "shell"
script = "true"
requires = ["quiet"]

[steps.missing]
kind = "exec"
argv = ["/nonexistent/program"]
requires = ["after"]
)",
                 2);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Failed);
    CHECK(r.status("missing") == "failed");
    REQUIRE(r.finished("missing").has_value());
    CHECK(r.finished("missing")->message.find("cannot run '/nonexistent/program'") !=
          std::string::npos);
    CHECK(r.status("quiet") == "succeeded");
    CHECK(r.status("after") == "succeeded");
    CHECK(r.disp.started() == 1);  // `after`; `missing` never started, `quiet` ran on the pool
    CHECK(r.disp.running() == 0);
  }
}
