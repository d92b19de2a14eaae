// `ordo run` end to end: the real binary (ORDO_BIN), real processes, real signals. Each test
// works in its own scratch directory under /tmp, removed when the test passes.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"
#include "run_cli_test_util.h"

using namespace std::string_literals;

namespace {

using cli_test::exists;
using cli_test::ordo_bin;
using cli_test::read_file;
using cli_test::write_file;
using run_cli_test::glob_paths;
using run_cli_test::Ordo;
using run_cli_test::run_ordo;
using run_cli_test::Scratch;

bool wait_for_file(const std::string& path, int seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// "a start 123\n" lines -> the time for (step, what).
int64_t stamp(const std::string& log, const std::string& step, const std::string& what) {
  std::istringstream in(log);
  std::string s, w;
  int64_t t;
  while (in >> s >> w >> t)
    if (s == step && w == what) return t;
  FAIL("no '" << step << " " << what << "' in:\n" << log);
  return 0;
}

const char* kTwoSleepers = R"P([plan]
name = "overlap"

[steps.a]
kind = "shell"
script = "echo a start $(date +%s%N) >> times.txt; sleep 0.4; echo a end $(date +%s%N) >> times.txt"

[steps.b]
kind = "shell"
script = "echo b start $(date +%s%N) >> times.txt; sleep 0.4; echo b end $(date +%s%N) >> times.txt"
)P";

}  // namespace

TEST_SUITE("run_cli") {
  TEST_CASE("-j 2 runs two independent steps at the same time; -j 1 does not" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), kTwoSleepers);
    REQUIRE(run_ordo(s, {"run", "plan.toml", "-j", "2", "--state-dir", "state"}) == 0);
    std::string t = read_file(s.path("times.txt"));
    int64_t as = stamp(t, "a", "start"), ae = stamp(t, "a", "end");
    int64_t bs = stamp(t, "b", "start"), be = stamp(t, "b", "end");
    CHECK(as < be);  // overlap: each started before the other ended
    CHECK(bs < ae);

    std::remove(s.path("times.txt").c_str());
    REQUIRE(run_ordo(s, {"run", "plan.toml", "-j", "1", "--state-dir", "state"}) == 0);
    t = read_file(s.path("times.txt"));
    as = stamp(t, "a", "start"), ae = stamp(t, "a", "end");
    bs = stamp(t, "b", "start"), be = stamp(t, "b", "end");
    CHECK((ae <= bs || be <= as));  // one after the other
  }

  TEST_CASE("SIGINT stops the running step, runs the cleanup step, exits 130" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"P([plan]
name = "interrupt"

[steps.long]
kind = "shell"
script = "touch started; sleep 30; touch long-finished"
kill_grace = "2s"

[steps.next]
kind = "noop"
requires = ["long"]

[steps.cleanup]
kind = "shell"
script = "echo cleaned > cleanup.txt"
after = ["long"]
always = true
)P");
    Ordo o(s.dir, {"run", "plan.toml", "--state-dir", "state", "--no-color"});
    REQUIRE(wait_for_file(s.path("started"), 20));
    ::kill(o.pid, SIGINT);
    int rc = o.wait(30);
    INFO("stdout:\n" << o.out() << "\nstderr:\n" << o.err());
    CHECK(rc == 130);
    CHECK(exists(s.path("cleanup.txt")));
    CHECK_FALSE(exists(s.path("long-finished")));
    CHECK(o.out().find("INTERRUPTED") != std::string::npos);
    CHECK(o.out().find("skip  next: not started: interrupted") != std::string::npos);
  }

  TEST_CASE("a failing step exits 1 and the summary names it as the root cause" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"P([plan]
name = "failing"

[steps.fine]
kind = "shell"
script = "echo fine"

[steps.broken]
kind = "shell"
script = "echo preparing; echo 'ERROR: no such version' >&2; exit 3"
requires = ["fine"]

[steps.dependent]
kind = "noop"
requires = ["broken"]

[steps.maybe]
kind = "noop"
requires = ["fine"]
when = "false"
)P");
    Ordo o(s.dir, {"run", "plan.toml", "--state-dir", "state", "-j", "1"});
    int rc = o.wait();
    std::string out = o.out();
    INFO("stdout:\n" << out << "\nstderr:\n" << o.err());
    CHECK(rc == 1);
    CHECK(out.find("FAIL  broken: exit code 3") != std::string::npos);
    CHECK(out.find("skip  dependent: requires broken, which failed") != std::string::npos);
    CHECK(out.find("skip  maybe: condition false (false)") != std::string::npos);
    CHECK(out.find("Run FAILED") != std::string::npos);
    CHECK(out.find("root cause: broken failed: exit code 3") != std::string::npos);
    CHECK(out.find("| ERROR: no such version") != std::string::npos);
    CHECK(out.find("skipped because of it: dependent") != std::string::npos);
    CHECK(out.find("root cause: dependent") == std::string::npos);
    CHECK(out.find("Logs: ") != std::string::npos);
  }

  TEST_CASE("each step's full output is in its log file under the state dir" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"P([plan]
name = "logs"

[steps.chatty]
kind = "shell"
script = "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; echo to-stderr >&2"
)P");
    REQUIRE(run_ordo(s, {"run", "plan.toml", "--state-dir", "state"}) == 0);
    auto runs = glob_paths(s.path("state/logs/runs/*"));
    REQUIRE(runs.size() == 1);
    struct stat st {};
    REQUIRE(::stat(runs[0].c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    std::string log = read_file(runs[0] + "/steps/chatty.log");
    CHECK(log.find("line 0\n") != std::string::npos);
    CHECK(log.find("line 1500\n") != std::string::npos);
    CHECK(log.find("line 2999\n") != std::string::npos);
    CHECK(log.find("to-stderr\n") != std::string::npos);
    int lines = 0;
    for (char c : log) lines += c == '\n';
    CHECK(lines >= 3001);
    REQUIRE(::stat((runs[0] + "/steps/chatty.log").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_file(runs[0] + "/ordo.log").find("chatty: succeeded") != std::string::npos);
  }

  TEST_CASE("--events writes valid JSON lines with the documented fields" * doctest::timeout(60) *
            doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"P([plan]
name = "events"

[vars]
who = "world"
[vars.token]
default = "s3cret"
secret = true

[steps.hello]
kind = "shell"
script = 'echo hello ${who}; printf "bad \377 byte\n"'
outputs = { greeting = { from = "stdout", regex = "hello ([a-z]+)" } }

[steps.flaky]
kind = "shell"
script = "test -f once || { touch once; exit 1; }"
retries = { attempts = 2, backoff = "100ms" }

[steps.broken]
kind = "shell"
script = "exit 4"
requires = ["hello", "flaky"]

[steps.blocked]
kind = "noop"
requires = ["broken"]
)P");
    int rc = run_ordo(s, {"run", "plan.toml", "--state-dir", "state", "--events", "ev.jsonl"});
    CHECK(rc == 1);
    std::ifstream in(s.path("ev.jsonl"));
    std::vector<nlohmann::json> recs;
    std::string line;
    while (std::getline(in, line)) {
      INFO("line: " << line);
      auto j = nlohmann::json::parse(line, nullptr, false);
      REQUIRE_FALSE(j.is_discarded());
      CHECK(j["v"] == 1);
      CHECK(j["t"].is_string());
      CHECK(j["ts"].get<std::string>().size() == 24);  // 2026-11-26T01:02:03.456Z
      CHECK(j["ts"].get<std::string>().back() == 'Z');
      CHECK(j["mono_ms"].is_number_integer());
      recs.push_back(j);
    }
    REQUIRE(recs.size() > 5);
    CHECK(recs.front()["t"] == "run_started");
    CHECK(recs.front()["plan"] == "events");
    CHECK(recs.front()["vars"]["who"] == "world");
    CHECK(recs.front()["vars"]["token"] == "***");
    CHECK(recs.back()["t"] == "run_finished");
    CHECK(recs.back()["outcome"] == "failed");
    CHECK(recs.back()["root_causes"] == nlohmann::json::array({"broken"}));
    CHECK(recs.back()["counts"]["blocked"] == 1);

    bool saw_output = false, saw_retry = false, saw_hello = false, saw_skip = false;
    int64_t last_mono = 0;
    for (const auto& j : recs) {
      CHECK(j["mono_ms"].get<int64_t>() >= last_mono);
      last_mono = j["mono_ms"].get<int64_t>();
      if (j["t"] == "step_output" && j["step"] == "hello" && j["stream"] == "stdout")
        saw_output = true;
      if (j["t"] == "step_retrying") {
        saw_retry = true;
        CHECK(j["step"] == "flaky");
        CHECK(j["attempt"] == 2);
        CHECK(j["wait_ms"] == 100);
      }
      if (j["t"] == "step_finished" && j["step"] == "hello") {
        saw_hello = true;
        CHECK(j["status"] == "succeeded");
        CHECK(j["exit_code"] == 0);
        CHECK(j["message"].is_string());
        CHECK(j["outputs"]["greeting"] == "world");
        CHECK(j["duration_ms"].is_number_integer());
      }
      if (j["t"] == "step_skipped") {
        saw_skip = true;
        CHECK(j["step"] == "blocked");
        CHECK(j["kind"] == "blocked");
        CHECK(j["reason"] == "requires broken, which failed");
        CHECK(j["cause"] == "broken");
      }
    }
    CHECK(saw_output);
    CHECK(saw_retry);
    CHECK(saw_hello);
    CHECK(saw_skip);
    CHECK(read_file(s.path("ev.jsonl")).find("s3cret") == std::string::npos);
  }

  TEST_CASE("an invalid plan exits 2 with file:line:col diagnostics and runs nothing" *
            doctest::timeout(60) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"P([plan]
name = "bad"

[steps.a]
kind = "shell"
script = "touch ran"
requies = ["b"]
)P");
    Ordo o(s.dir, {"run", "plan.toml", "--state-dir", "state"});
    CHECK(o.wait() == 2);
    CHECK(o.err().find("plan.toml:7:1") != std::string::npos);
    CHECK_FALSE(exists(s.path("ran")));
    CHECK_FALSE(exists(s.path("state")));
  }
}
