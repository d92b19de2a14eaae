// Unit tests: the plan loader (TOML -> Plan) as a whole: a file and its [plan] header, the
// top-level keys, TOML syntax errors, every error reported, and large generated plans.
#include <doctest/doctest.h>

#include "loader_test_util.h"
#include "plan_loader.h"

using namespace ordo;
using namespace loader_test;
using namespace std::string_literals;

TEST_SUITE("loader") {
  TEST_CASE("a three-line plan loads with positions") {
    auto r = load("plan.name = \"hello\"\n[steps.hi]\nkind = \"noop\"\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    CHECK(r.plan->name == "hello"s);
    CHECK(r.plan->path == "t.toml"s);
    CHECK(join(r.plan->files) == join({"t.toml"}));
    REQUIRE(r.plan->steps.size() == 1);
    const StepDecl& s = r.plan->steps[0];
    CHECK(s.id == "hi"s);
    CHECK(s.kind == "noop"s);
    CHECK(s.loc.str() == "t.toml:2:1"s);
    CHECK(s.kind_loc.str() == "t.toml:3:9"s);  // inside the quotes
    CHECK(s.idempotent);
    CHECK(s.retries.attempts == 1);
    CHECK(s.kill_grace == Millis(10000));
  }

  TEST_CASE("TOML syntax errors carry the parser's position and stop the load") {
    auto r = load("[plan]\nname = \n");
    CHECK_FALSE(r.plan);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          "t.toml:2:8: Error while parsing key-value pair: expected value, saw '\\n'"s);
  }

  TEST_CASE("a missing plan file is a clear error without a position") {
    Diagnostics d;
    auto plan = load_plan_file("/nonexistent/ordo/plan.toml", d);
    CHECK_FALSE(plan);
    CHECK(join(lines(d)) ==
          join({"/nonexistent/ordo/plan.toml: cannot read plan: No such file or directory"}));
  }

  TEST_CASE("load_plan_file reads the file and names it as given") {
    TempDir dir;
    std::string path = dir.write("p.toml", "[plan]\nname = \"p\"\n[steps.a]\nkind = 1\n");
    Diagnostics d;
    auto plan = load_plan_file(path, d);
    REQUIRE(plan);
    CHECK(plan->path == path);
    CHECK(join(lines(d)) == join({path + ":4:8: 'kind' must be a string, not an integer"}));
  }

  TEST_CASE("unknown top-level keys are reported at the key with a suggestion") {
    auto r = load("[plan]\nname = \"p\"\n\n[step.a]\nkind = \"noop\"\n[zzz]\n");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({"t.toml:4:2: unknown top-level key 'step' (did you mean 'steps'?)",
                "t.toml:6:2: unknown top-level key 'zzz'"}));
  }

  TEST_CASE("top-level sections must be tables") {
    auto r = load("steps = \"a\"\n[plan]\nname = \"p\"\n");
    CHECK(join(r.errors) == join({"t.toml:1:9: 'steps' must be a table ([steps]), not a string"}));
  }

  TEST_CASE("[plan] needs a well-formed name and knows only its keys") {
    CHECK(join(load("[steps.a]\nkind = \"noop\"\n").errors) ==
          join({"t.toml:1:1: missing [plan] table with the plan's 'name'"}));
    CHECK(join(load("x = 1\n[plan]\ndescription = \"d\"\n").errors) ==
          join({"t.toml:1:1: unknown top-level key 'x'", "t.toml:2:1: [plan] has no 'name'"}));
    CHECK(join(load("[plan]\nname = \"Indico 3\"\n").errors) ==
          join({"t.toml:2:9: plan name 'Indico 3' must match [a-z0-9-]+"}));
    CHECK(join(load("[plan]\nname = 3\n").errors) ==
          join({"t.toml:2:8: 'name' must be a string, not an integer"}));
    CHECK(join(load("[plan]\nname = \"p\"\nnmae = \"q\"\ninclude = \"x.toml\"\n").errors) ==
          join({"t.toml:3:1: unknown key 'nmae' in [plan] (did you mean 'name'?)",
                "t.toml:4:11: 'include' must be a list of file paths, not a string"}));
    auto ok = load("[plan]\nname = \"indico-3x\"\ndescription = \"Upgrade\"\n");
    CHECK(ok.errors.empty());
    CHECK(ok.plan->description == "Upgrade"s);
    CHECK(ok.plan->loc.str() == "t.toml:1:1"s);
  }

  TEST_CASE("errors are all reported, not just the first") {
    auto r = load_steps(R"([steps.a]
timeout = "soon"
[steps.b]
kind = "noop"
requires = "a"
[steps.c]
retries = -5
)");
    REQUIRE(r.plan);
    CHECK(r.errors.size() == 5);
    CHECK(r.plan->steps.size() == 3);
  }

  TEST_CASE("a large generated plan loads in order") {
    const int n = 20000;
    std::string text = "[plan]\nname = \"big\"\n";
    for (int i = 0; i < n; ++i) {
      std::string id = "s" + std::to_string((i * 7919) % n);  // ids not in key order
      text += "[steps." + id + "]\nkind = \"noop\"\nrequires = [\"x\"]\n";
    }
    auto r = load(text);
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->steps.size() == static_cast<size_t>(n));
    CHECK(r.plan->steps[1].id == "s7919"s);
    CHECK(r.plan->steps[n - 1].loc.line == 3 + (n - 1) * 3);
  }

  // The loader releases converted steps' TOML subtrees in batches (4096 steps): every step keeps
  // its values and positions, and errors in later batches still point at the right place.
  TEST_CASE("a large plan keeps every step's values across the released batches") {
    const int n = 9000;
    std::string text = "[plan]\nname = \"big\"\n";
    for (int i = 0; i < n; ++i) {
      text += "[steps.s" + std::to_string(i) + "]\nkind = \"shell\"\nscript = \"echo " +
              std::to_string(i) + "\"\n";
      text +=
          i == n - 2 ? "tiemout = \"5s\"\n" : "requires = [\"s" + std::to_string(i / 2) + "\"]\n";
    }
    auto r = load(text);
    REQUIRE(r.plan);
    REQUIRE(r.plan->steps.size() == static_cast<size_t>(n));
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      const StepDecl& s = r.plan->steps[i];
      const int line = 3 + i * 4;
      bool ok = s.id == "s" + std::to_string(i) && s.kind == "shell" && s.loc.line == line &&
                s.loc.file == "t.toml"s && s.params.size() == (i == n - 2 ? 2u : 1u) &&
                s.params[0].second.as_string() == "echo " + std::to_string(i) &&
                s.params[0].second.loc == SourceLoc{"t.toml", line + 2, 11};
      if (i != n - 2)
        ok = ok && s.requires_.size() == 1 && s.requires_[0].id == "s" + std::to_string(i / 2) &&
             s.requires_[0].loc == SourceLoc{"t.toml", line + 3, 14};
      if (!ok) ++bad;
    }
    CHECK(bad == 0);
    // `tiemout` is an executor parameter to the loader; it is still there with its position.
    const StepDecl& s = r.plan->steps[n - 2];
    REQUIRE(s.params.size() == 2);
    CHECK(s.params[1].first == "tiemout"s);
    CHECK(s.params[1].second.key_loc == SourceLoc{"t.toml", 3 + (n - 2) * 4 + 3, 1});
  }
}
