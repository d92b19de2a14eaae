// Durable runs end to end with the real binary (ORDO_BIN): `ordo run` killed with SIGKILL in
// the middle of a step, then `ordo resume`: a torn journal line, a resumed or fixed run that
// then reads as succeeded, steps whose params changed, and interrupted steps that are not
// idempotent (flags, and the question on a terminal). Each test works in its own
// scratch directory under /tmp, removed when the test passes (resume_test_util.h).
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resume_test_util.h"

using namespace resume_test;
using namespace std::string_literals;

TEST_SUITE("resume_cli") {
  TEST_CASE("a torn last journal line is cut off and the run resumes" * doctest::timeout(90) *
            doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string id = run_and_crash(s);
    // Cut the last record in half, as a crash in the middle of write(2) would.
    std::string journal = read_file(journal_of(s, id));
    // The killed ordo left the zero tail of its preallocated journal (journal.h): not a record.
    journal.erase(journal.find_last_not_of('\0') + 1);
    REQUIRE(journal.size() > 2);
    size_t last_start = journal.rfind('\n', journal.size() - 2) + 1;
    std::string torn = journal.substr(0, last_start + (journal.size() - last_start) / 2);
    write_file(journal_of(s, id), torn);
    write_file(s.path("go"), "");

    Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(r.rc == 0);
    CHECK(has(r.err, "cut off mid-write"));
    CHECK(has(r.out, "keeping 1 step done earlier: first"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
          std::vector<std::string>{"first one", "hang", "last"});
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["state"] == "finished");
    CHECK(status["outcome"] == "succeeded");
    CHECK(status["resumes"] == 1);
  }

  TEST_CASE("a resumed run that finished reads as succeeded: status, attempts, report" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string id = run_and_crash(s);
    write_file(s.path("go"), "");
    Result r = ordo(s, {"resume", "plan.toml"});  // with its report
    REQUIRE(r.rc == 0);
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["state"] == "finished");
    CHECK(status["outcome"] == "succeeded");
    CHECK(status["resumes"] == 1);
    std::map<std::string, nlohmann::json> steps;
    for (const auto& st : status["steps"]) steps[st["step"].get<std::string>()] = st;
    CHECK(steps["first"]["state"] == "succeeded");
    CHECK(steps["first"]["attempts"] == 1);
    CHECK(steps["hang"]["state"] == "succeeded");
    CHECK(steps["hang"]["attempts"] == 2);  // the one the kill cut off, and the resumed one
    CHECK(steps["last"]["state"] == "succeeded");
    // The report of the whole run (both parts, from the journal) says it succeeded.
    std::string report = read_file(s.path("st/crashy/runs/" + id + "/report.html"));
    REQUIRE_FALSE(report.empty());
    CHECK(has(report, "class=\"banner succeeded\""));
    CHECK_FALSE(has(report, "has no end record"));
    CHECK_FALSE(has(report, "run aborted at"));
  }

  TEST_CASE("a failed run that was fixed and resumed: its report no longer shows the abort" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"([plan]
name = "crashy"

[steps.a]
kind = "shell"
script = "true"

[steps.b]
kind = "shell"
requires = ["a"]
script = "test -f go"

[steps.c]
kind = "shell"
requires = ["b"]
script = "true"
)");
    REQUIRE(ordo(s, {"run", "plan.toml", "--no-report"}).rc == 1);
    auto first = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    std::string id = first["run"].get<std::string>();
    REQUIRE(has(read_file(journal_of(s, id)), "\"t\":\"run_aborting\""));
    write_file(s.path("go"), "");
    REQUIRE(ordo(s, {"resume", "plan.toml"}).rc == 0);
    std::string report = read_file(s.path("st/crashy/runs/" + id + "/report.html"));
    REQUIRE_FALSE(report.empty());
    CHECK(has(report, "class=\"banner succeeded\""));
    CHECK_FALSE(has(report, "run aborted at"));  // the first part's abort is over
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["outcome"] == "succeeded");
  }

  TEST_CASE("a step whose params changed runs again on resume, and says why" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr)) {
    SUBCASE("--set a variable") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s);
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--set", "msg=two"});
      CHECK(r.rc == 0);
      CHECK(has(r.out,
                "step first changed since the interrupted run (params differ): running it again"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "first two", "hang", "last"});
    }
    SUBCASE("edit the plan") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s);
      std::string plan = crash_plan();
      plan.replace(plan.find("echo first"), 10, "echo FIRST");
      write_file(s.path("plan.toml"), plan);
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
      CHECK(r.rc == 0);
      CHECK(has(r.out, "the plan changed since that run (plan.toml)"));
      CHECK(has(r.out,
                "step first changed since the interrupted run (params differ): running it again"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "FIRST one", "hang", "last"});
    }
    SUBCASE("unchanged: kept, and the run's own variables are used") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s, {"--set", "msg=custom"});
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
      CHECK(r.rc == 0);
      CHECK_FALSE(has(r.out, "changed"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first custom", "hang", "last"});
    }
  }

  TEST_CASE("an interrupted step that is not idempotent: exit 3 without a terminal; the flags" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan(/*hang_idempotent=*/false));
    run_and_crash(s);
    write_file(s.path("go"), "");
    Result refused = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(refused.rc == 3);
    CHECK(has(refused.err, "step hang was interrupted (started, never finished)"));
    CHECK(has(refused.err, "--rerun-interrupted"));
    CHECK(has(refused.err, "--skip-interrupted"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) == std::vector<std::string>{"first one"});

    SUBCASE("--skip-interrupted") {
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--skip-interrupted"});
      CHECK(r.rc == 0);
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "last"});
      auto st = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
      CHECK(st["steps"][1]["step"] == "hang");
      CHECK(st["steps"][1]["state"] == "skipped");
    }
    SUBCASE("--rerun-interrupted") {
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--rerun-interrupted"});
      CHECK(r.rc == 0);
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "hang", "last"});
    }
    SUBCASE("both flags: a usage error") {
      CHECK(ordo(s, {"resume", "plan.toml", "--rerun-interrupted", "--skip-interrupted"}).rc == 2);
    }
  }

  TEST_CASE("on a terminal, resume asks about an interrupted step that is not idempotent" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr) *
            doctest::skip(::access("/usr/bin/script", X_OK) != 0)) {
    for (std::string answer : {"s", "r"}) {
      Scratch s;
      INFO("scratch dir: " << s.dir << ", answer " << answer);
      write_file(s.path("plan.toml"), crash_plan(false));
      run_and_crash(s);
      write_file(s.path("go"), "");
      write_file(s.path("answer.txt"), answer + "\n");
      std::string cmd = std::string(ordo_bin()) + " resume plan.toml --state-dir st --no-report";
      Proc p(s.dir, {"/usr/bin/script", "-qec", cmd, "/dev/null"}, "tty", {}, s.path("answer.txt"));
      CHECK(p.wait() == 0);
      INFO("terminal:\n" << p.out());
      CHECK(has(p.out(), "Run it again? [r]un again / [s]kip it / [a]bort the resume:"));
      std::vector<std::string> want = answer == "s"
                                          ? std::vector<std::string>{"first one", "last"}
                                          : std::vector<std::string>{"first one", "hang", "last"};
      CHECK(lines_of(read_file(s.path("ledger.txt"))) == want);
    }
  }
}
