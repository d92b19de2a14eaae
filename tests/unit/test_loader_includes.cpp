// Unit tests: the plan loader's includes: merge order, relative paths, cycles, missing and
// bad fragments, files included twice, duplicates across files.
#include <doctest/doctest.h>

#include "loader_test_util.h"
#include "plan_loader.h"

using namespace ordo;
using namespace loader_test;
using namespace std::string_literals;

TEST_SUITE("loader") {
  TEST_CASE("includes merge vars and steps first, in include order") {
    TempDir dir;
    dir.write("plans/fragments/backup.toml", R"([vars]
backup_dir = "/var/backups"
[steps.backup-db]
kind = "pg-dump"
)");
    dir.write("plans/common/stop.toml", R"([plan]
description = "stop things"
include = ["../fragments/tools.toml"]
[steps.stop]
kind = "systemd"
)");
    dir.write("plans/fragments/tools.toml", "[steps.tools]\nkind = \"noop\"\n");
    std::string main = dir.write("plans/indico.toml", R"([plan]
name = "indico"
include = ["fragments/backup.toml", "common/stop.toml"]
[vars]
user = "indico"
[steps.upgrade]
kind = "exec"
requires = ["backup-db", "stop"]
)");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(lines(d).empty());
    std::string base = dir.path("plans/");
    CHECK(join(plan->files) == join({main, base + "fragments/backup.toml",
                                     base + "common/stop.toml", base + "fragments/tools.toml"}));
    REQUIRE(plan->steps.size() == 4);
    CHECK(plan->steps[0].id == "backup-db"s);
    CHECK(plan->steps[1].id == "tools"s);
    CHECK(plan->steps[2].id == "stop"s);
    CHECK(plan->steps[3].id == "upgrade"s);
    CHECK(plan->steps[0].loc.str() == base + "fragments/backup.toml:3:1");
    CHECK(plan->steps[1].loc.file == base + "fragments/tools.toml");
    REQUIRE(plan->vars.size() == 2);
    CHECK(plan->vars[0].name == "backup_dir"s);
    CHECK(plan->vars[1].name == "user"s);
    CHECK(plan->name == "indico"s);
    CHECK(plan->description.empty());  // a fragment's description is not the plan's
  }

  TEST_CASE("include paths stay relative as given") {
    TempDir dir;
    dir.write("plans/fragments/backup.toml", "[steps.a]\nkind = 3\n");
    dir.write("plans/main.toml", "[plan]\nname = \"m\"\ninclude = [\"fragments/backup.toml\"]\n");
    ChangeDir cd(dir.root());
    Diagnostics d;
    auto plan = load_plan_file("plans/main.toml", d);
    REQUIRE(plan);
    CHECK(join(lines(d)) ==
          join({"plans/fragments/backup.toml:2:8: 'kind' must be a string, not an integer"}));
    CHECK(join(plan->files) == join({"plans/main.toml", "plans/fragments/backup.toml"}));
  }

  TEST_CASE("include cycles, missing includes and bad fragments are errors at the include") {
    TempDir dir;
    std::string a =
        dir.write("a.toml", "[plan]\nname = \"a\"\ninclude = [\"b.toml\", \"nope.toml\"]\n");
    std::string b = dir.write("b.toml", "[plan]\ninclude = [\"sub/../a.toml\", \"c.toml\"]\n");
    std::string c = dir.write("c.toml", "[steps.x]\nkind = \n");
    Diagnostics d;
    auto plan = load_plan_file(a, d);
    REQUIRE(plan);
    std::string base = dir.path("");
    CHECK(join(lines(d)) ==
          join({
              a + ":3:23: cannot read included file '" + base +
                  "nope.toml': No such file or directory",
              b + ":2:13: include cycle: " + a + " -> " + b + " -> " + base + "a.toml",
              c + ":2:8: Error while parsing key-value pair: expected value, saw '\\n'",
          }));
    CHECK(join(plan->files) == join({a, b}));
  }

  TEST_CASE("a file included twice without a cycle is merged once") {
    TempDir dir;
    dir.write("common.toml", "[steps.common]\nkind = \"noop\"\n");
    dir.write("x.toml", "[plan]\ninclude = [\"common.toml\"]\n[steps.x]\nkind = \"noop\"\n");
    dir.write("y.toml", "[plan]\ninclude = [\"./common.toml\"]\n[steps.y]\nkind = \"noop\"\n");
    std::string main =
        dir.write("m.toml", "[plan]\nname = \"m\"\ninclude = [\"x.toml\", \"y.toml\"]\n");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(lines(d).empty());
    REQUIRE(plan->steps.size() == 3);
    CHECK(plan->steps[0].id == "common"s);
    CHECK(plan->steps[1].id == "x"s);
    CHECK(plan->steps[2].id == "y"s);
  }

  TEST_CASE("duplicate steps and vars across files name the first definition") {
    TempDir dir;
    std::string frag = dir.write("frag.toml", R"([vars]
user = "a"
[steps.backup]
kind = "noop"
)");
    std::string main = dir.write("main.toml", R"([plan]
name = "m"
include = ["frag.toml"]
[vars]
user = "b"
[steps.backup]
kind = "noop"
)");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(join(lines(d)) ==
          join({
              main + ":5:1: variable 'user' is already defined at " + frag + ":2:1",
              main + ":6:1: step 'backup' is already defined at " + frag + ":3:1",
          }));
    REQUIRE(plan->steps.size() == 1);
    CHECK(plan->steps[0].loc.file == frag);
    CHECK(plan->vars[0].default_value.as_string() == "a"s);
  }
}
