// Unit tests: how the plan loader reads [steps.ID]: ids, shapes and kinds, declaration order,
// parameters and edges with their positions, the common keys and their types.
#include <doctest/doctest.h>

#include "loader_test_util.h"
#include "plan_loader.h"

using namespace ordo;
using namespace loader_test;
using namespace std::string_literals;

TEST_SUITE("loader") {
  TEST_CASE("step ids, shapes and kinds are checked") {
    auto r = load_steps(R"([steps.Bad_Id]
kind = "noop"
[steps]
plain = "noop"
[steps.nokind]
description = "forgot the kind"
[steps.x]
kind = ["noop"]
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:3:8: step id 'Bad_Id' must match [a-z0-9][a-z0-9-]*",
              "t.toml:6:9: step 'plain' must be a table ([steps.plain]), not a string",
              "t.toml:7:1: step 'nokind' has no 'kind'",
              "t.toml:10:8: 'kind' must be a string, not a list",
          }));
    // Broken steps are still declared so references to them do not cascade.
    CHECK(r.plan->find_step("nokind") != nullptr);
    CHECK(r.plan->find_step("plain") == nullptr);
  }

  TEST_CASE("steps and params keep declaration order and positions") {
    auto r = load_steps(R"([steps.zeta]
kind = "exec"
argv = ["b", "a"]
success_codes = [0, 3]
[steps.alpha]
kind = "shell"
script = "echo hi"
ratio = 0.5
when_date = 1979-05-27
conf = { z = 1, a = "x" }
[steps.mid]
kind = "noop"
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->steps.size() == 3);
    CHECK(r.plan->steps[0].id == "zeta"s);
    CHECK(r.plan->steps[1].id == "alpha"s);
    CHECK(r.plan->steps[2].id == "mid"s);
    const auto& zp = r.plan->steps[0].params;
    REQUIRE(zp.size() == 2);
    CHECK(zp[0].first == "argv"s);
    CHECK(zp[0].second.key_loc.str() == "t.toml:5:1"s);
    CHECK(zp[0].second.loc.str() == "t.toml:5:8"s);
    CHECK(zp[0].second.as_list()[1].loc.str() == "t.toml:5:15"s);  // inside the quotes
    CHECK(zp[1].second.to_string() == "[0, 3]"s);
    CHECK(zp[1].second.as_list()[1].loc.str() == "t.toml:6:21"s);
    const auto& ap = r.plan->steps[1].params;
    REQUIRE(ap.size() == 4);
    CHECK(ap[0].first == "script"s);
    CHECK(ap[0].second.loc.str() == "t.toml:9:11"s);
    CHECK(ap[1].second.kind() == ValueKind::Double);
    CHECK(ap[2].second.as_string() == "1979-05-27"s);
    CHECK(ap[3].second.to_string() == "{ z = 1, a = \"x\" }"s);  // declaration order
    CHECK(ap[3].second.as_table()[1].second.key_loc.str() == "t.toml:12:17"s);
    CHECK(ap[3].second.as_table()[1].second.loc.str() == "t.toml:12:22"s);
  }

  TEST_CASE("edges keep each reference's position") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
requires = ["b", "c"]
after = ['d']
on_failure = ["e"]
watches = "f"
triggered_by = ["g", "h"]
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const StepDecl& s = r.plan->steps[0];
    REQUIRE(s.requires_.size() == 2);
    CHECK(s.requires_[1].id == "c"s);
    CHECK(s.requires_[1].loc.str() == "t.toml:5:19"s);
    CHECK(s.after[0].loc.str() == "t.toml:6:11"s);
    CHECK(s.on_failure[0].id == "e"s);
    REQUIRE(s.watches.size() == 1);
    CHECK(s.watches[0].id == "f"s);
    CHECK(s.watches[0].loc.str() == "t.toml:8:12"s);
    CHECK(s.is_watcher());
    CHECK(s.triggered_by.size() == 2);
  }

  TEST_CASE("wrongly typed common keys are errors at the value") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
requires = "b"
after = [1]
watches = 3
when = true
always = "yes"
idempotent = 1
handles = "no"
tags = "x"
description = 5
user = 0
timeout = 30
kill_grace = "5 sec"
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:5:12: 'requires' must be a list of step ids, not a string",
              "t.toml:6:10: each entry of 'after' must be a step id string, not an integer",
              "t.toml:7:11: 'watches' must be a step id or a list of step ids, not an integer",
              "t.toml:8:8: 'when' must be a string (an expression), not a boolean",
              "t.toml:9:10: 'always' must be true or false, not a string",
              "t.toml:10:14: 'idempotent' must be true or false, not an integer",
              "t.toml:11:11: 'handles' must be true or false, not a string",
              "t.toml:12:8: 'tags' must be a list of strings, not a string",
              "t.toml:13:15: 'description' must be a string, not an integer",
              "t.toml:14:8: 'user' must be a string, not an integer",
              "t.toml:15:11: 'timeout' must be a duration string such as \"5s\", not an integer",
              "t.toml:16:15: bad duration \"5 sec\": unknown unit 'sec'; expected a duration such "
              "as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)",
          }));
  }

  TEST_CASE("located texts point inside the quotes, multi-line strings too") {
    auto r = load_steps(
        "[steps.a]\nkind = \"noop\"\n"
        "when = \"x == 1\"\n"           // line 5
        "user = '${u}'\n"               // line 6
        "venv = \"\"\"~/.venv\"\"\"\n"  // line 7
        "cwd = '''\n/srv/${d}'''\n"     // lines 8-9: content starts on line 9
        "description = \"tool\"\n"
        "tags = [\"x\", \"y\"]\n"
        "timeout = \"1h30m\"\n"
        "kill_grace = \"2s\"\n"
        "idempotent = false\n"
        "always = true\n"
        "handles = true\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const StepDecl& s = r.plan->steps[0];
    REQUIRE(s.when);
    CHECK(s.when->text == "x == 1"s);
    CHECK(s.when->loc.str() == "t.toml:5:9"s);
    REQUIRE(s.user);
    REQUIRE(s.venv);
    REQUIRE(s.cwd);
    CHECK(s.user->text == "${u}"s);
    CHECK(s.user->loc.str() == "t.toml:6:9"s);
    CHECK(s.venv->text == "~/.venv"s);
    CHECK(s.venv->loc.str() == "t.toml:7:11"s);
    CHECK(s.cwd->text == "/srv/${d}"s);
    CHECK(s.cwd->loc.str() == "t.toml:9:1"s);
    CHECK(s.description == "tool"s);
    CHECK(join(s.tags) == join({"x", "y"}));
    CHECK(s.timeout == Millis(5400000));
    CHECK(s.kill_grace == Millis(2000));
    CHECK_FALSE(s.idempotent);
    CHECK(s.always);
    CHECK(s.handles);
  }

  TEST_CASE("string positions count code points, like the parser") {
    auto r = load_steps("[steps.a]\nkind = \"noop\"\nnote = \"é\"; \n");
    REQUIRE_FALSE(r.plan);
    CHECK(r.errors[0].substr(0, 12) == "t.toml:5:11:"s);
    auto ok = load_steps("[steps.a]\nkind = \"noop\"\nx = { a = \"é\", b = \"${v}\" }\n");
    REQUIRE(ok.plan);
    CHECK(ok.plan->steps[0].params[0].second.as_table()[1].second.loc.str() == "t.toml:5:21"s);
  }

  TEST_CASE("an inline step table is located at its id") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
[steps]
b = { kind = "noop" }
)");
    CHECK(r.errors.empty());
    CHECK(r.plan->steps[1].loc.str() == "t.toml:6:1"s);  // inline table: the id key
  }
}
