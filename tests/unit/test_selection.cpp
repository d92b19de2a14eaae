// Unit tests: step selection by tags (engine/selection.h) — which steps --only-tags and
// --skip-tags leave out and why, the safety nets kept with selected steps, the errors and the
// warnings — and, with the real binary (ORDO_BIN), `ordo run --only-tags` skipping the rest
// with the reason, recording the selection in the journal, and `ordo resume` keeping it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "cli_test_util.h"
#include "diagnostics.h"
#include "graph.h"
#include "plan_loader.h"
#include "selection.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

const char* kPlan = R"(
[plan]
name = "sel"

[steps.backup]
kind = "shell"
tags = ["backup"]
script = "echo backup >> ledger.txt"

[steps.stop]
kind = "shell"
tags = ["services"]
script = "echo stop >> ledger.txt"

[steps.migrate]
kind = "shell"
tags = ["db"]
requires = ["backup", "stop"]
script = "test -e fixed || exit 4; echo migrate >> ledger.txt"

[steps.fix]
kind = "shell"
on_failure = ["migrate"]
script = "echo fix >> ledger.txt"

[steps.start]
kind = "shell"
tags = ["services", "last"]
requires = ["migrate"]
script = "echo start >> ledger.txt"
)";

Plan load() {
  Diagnostics d;
  std::optional<Plan> p = load_plan_text(kPlan, "sel.toml", d);
  REQUIRE(p);
  return std::move(*p);
}

std::string reason_of(const Plan& p, const std::vector<std::string>& r, const std::string& id) {
  for (size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].id == id) return r[i];
  FAIL("no step " << id);
  return "";
}

}  // namespace

TEST_SUITE("selection") {
  TEST_CASE("no filter selects every step") {
    Plan p = load();
    auto r = select_steps(p, {});
    REQUIRE(r.ok());
    CHECK(r->empty());  // nothing unselected: no string per step
    Diagnostics d;
    std::optional<Graph> g = Graph::build(p, d);
    REQUIRE(g);
    CHECK(selection_warnings(p, *g, *r).empty());
  }

  TEST_CASE("--only-tags keeps the tagged steps and the handlers of those") {
    Plan p = load();
    auto r = select_steps(p, TagFilter{{"db"}, {}});
    REQUIRE(r.ok());
    CHECK(reason_of(p, *r, "migrate").empty());
    CHECK(reason_of(p, *r, "fix").empty());  // handles migrate: a safety net, kept
    CHECK(reason_of(p, *r, "backup") == "not selected (--only-tags db)"s);
    CHECK(reason_of(p, *r, "stop") == "not selected (--only-tags db)"s);
    CHECK(reason_of(p, *r, "start") == "not selected (--only-tags db)"s);
  }

  TEST_CASE("--skip-tags wins over --only-tags and names the tag it matched") {
    Plan p = load();
    auto r = select_steps(p, TagFilter{{"db", "services"}, {"last"}});
    REQUIRE(r.ok());
    CHECK(reason_of(p, *r, "stop").empty());
    CHECK(reason_of(p, *r, "start") == "not selected (tagged last; --skip-tags last)"s);
  }

  TEST_CASE("a watcher of a selected step, and what it triggers, are selected with it") {
    Diagnostics d;
    std::optional<Plan> p = load_plan_text(R"(
[plan]
name = "w"
[steps.migrate]
kind = "shell"
tags = ["db"]
script = "true"
[steps.watchdog]
kind = "lock-watchdog"
watches = "migrate"
dsn = "postgresql:///x"
[steps.restart]
kind = "shell"
triggered_by = "watchdog"
script = "true"
[steps.other]
kind = "shell"
script = "true"
)",
                                           "w.toml", d);
    REQUIRE(p);
    auto r = select_steps(*p, TagFilter{{"db"}, {}});
    REQUIRE(r.ok());
    CHECK(reason_of(*p, *r, "watchdog").empty());
    CHECK(reason_of(*p, *r, "restart").empty());
    CHECK_FALSE(reason_of(*p, *r, "other").empty());
  }

  TEST_CASE("an unknown tag is an error with a suggestion and the known tags") {
    Plan p = load();
    auto r = select_steps(p, TagFilter{{"dbx"}, {}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "--only-tags: no step has tag 'dbx' (did you mean 'db'?); known tags: backup, db, "
          "last, services"s);
    auto s = select_steps(p, TagFilter{{}, {"nope"}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.rfind("--skip-tags: no step has tag 'nope'", 0) == 0);
  }

  TEST_CASE("a filter that leaves nothing to run is an error") {
    Plan p = load();
    auto r = select_steps(p, TagFilter{{"last"}, {"last"}});
    CHECK_FALSE(r.ok());
  }

  TEST_CASE("a selected step that needs one left out is warned about") {
    Plan p = load();
    Diagnostics d;
    std::optional<Graph> g = Graph::build(p, d);
    REQUIRE(g);
    auto r = select_steps(p, TagFilter{{"db"}, {}});
    REQUIRE(r.ok());
    std::vector<std::string> w = selection_warnings(p, *g, *r);
    REQUIRE(w.size() == 2);
    CHECK(w[0] == "migrate requires backup, which is not selected: it runs without it"s);
    CHECK(w[1] == "migrate requires stop, which is not selected: it runs without it"s);
  }

  TEST_CASE("ordo run --only-tags runs the selection; resume keeps it" * doctest::timeout(60)) {
    cli_test::Scratch t("ordo-select-test");
    cli_test::write_file(t.path("plan.toml"), kPlan);
    const std::string cd = "cd '" + t.dir + "' && '" + cli_test::ordo_bin() + "' ";
    const std::string common = " plan.toml --state-dir st --no-color --no-report >out.txt 2>&1";
    // migrate fails (no `fixed` file yet): the handler runs, the run fails.
    int rc = std::system((cd + "run --only-tags db" + common).c_str());
    CHECK(WEXITSTATUS(rc) == 1);
    const std::string out = cli_test::read_file(t.path("out.txt"));
    INFO(out);
    CHECK(out.find("skip  backup: not selected (--only-tags db)") != std::string::npos);
    CHECK(out.find("warning: migrate requires backup, which is not selected") != std::string::npos);
    CHECK(cli_test::read_file(t.path("ledger.txt")) == "fix\n"s);
    // Fixed, resumed: still only the selection (backup, stop and start stay out).
    cli_test::write_file(t.path("fixed"), "");
    rc = std::system((cd + "resume" + common).c_str());
    const std::string out2 = cli_test::read_file(t.path("out.txt"));
    INFO(out2);
    CHECK(WEXITSTATUS(rc) == 0);
    CHECK(out2.find("The run's step selection holds: --only-tags db") != std::string::npos);
    CHECK(cli_test::read_file(t.path("ledger.txt")) == "fix\nmigrate\n"s);
    rc = std::system(("grep -c '\"only_tags\":\\[\"db\"\\]' '" + t.dir +
                      "'/st/sel/runs/*/journal.jsonl > '" + t.path("count.txt") + "'")
                         .c_str());
    CHECK(cli_test::read_file(t.path("count.txt")) == "2\n"s);  // run_started and run_resumed
    rc = std::system((cd + "status plan.toml --state-dir st >status.txt 2>&1").c_str());
    CHECK(cli_test::read_file(t.path("status.txt")).find("Steps selected by --only-tags db\n") !=
          std::string::npos);
    // A bad tag: exit 2 before any run directory is made.
    rc = std::system((cd + "run --fresh --only-tags nope" + common).c_str());
    CHECK(WEXITSTATUS(rc) == 2);
  }
}
