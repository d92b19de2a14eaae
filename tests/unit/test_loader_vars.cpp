// Unit tests: the plan loader's [vars] table: short and long forms, types, defaults and
// choices, and the errors of bad declarations at their positions.
#include <doctest/doctest.h>

#include "loader_test_util.h"
#include "plan_loader.h"

using namespace ordo;
using namespace loader_test;
using namespace std::string_literals;

TEST_SUITE("loader") {
  TEST_CASE("short-form vars infer their type") {
    auto r = load(
        "[plan]\nname = \"p\"\n[vars]\nuser = \"indico\"\nflag = true\nport = 5432\n"
        "pkgs = [\"a\", \"b\"]\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->vars.size() == 4);
    const auto& v = r.plan->vars;
    CHECK(v[0].name == "user"s);  // declaration order, not key order
    CHECK(v[0].type == VarType::String);
    CHECK(v[0].default_value.as_string() == "indico"s);
    CHECK(v[0].loc.str() == "t.toml:4:1"s);
    CHECK(v[0].default_value.loc.str() == "t.toml:4:9"s);
    CHECK(v[1].type == VarType::Bool);
    CHECK(v[1].default_value.as_bool());
    CHECK(v[2].type == VarType::Int);
    CHECK(v[2].default_value.as_int() == 5432);
    CHECK(v[3].type == VarType::List);
    CHECK(v[3].default_value.to_string() == "[\"a\", \"b\"]"s);
  }

  TEST_CASE("long-form vars read every key") {
    auto r = load(R"([plan]
name = "p"
[vars.venv]
default = "~/.venv"
type = "path"
description = "the virtualenv"
[vars.password]
type = "string"
secret = true
[vars.mode]
default = "fast"
choices = ["fast", "safe"]
[vars]
wait = { default = "5s", type = "duration" }
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->vars.size() == 4);
    const VarDecl* venv = r.plan->find_var("venv");
    REQUIRE(venv);
    CHECK(venv->type == VarType::Path);
    CHECK(venv->description == "the virtualenv"s);
    CHECK(venv->default_value.as_string() == "~/.venv"s);
    const VarDecl* pw = r.plan->find_var("password");
    REQUIRE(pw);
    CHECK(pw->secret);
    CHECK(pw->default_value.is_null());
    const VarDecl* mode = r.plan->find_var("mode");
    REQUIRE(mode);
    CHECK(mode->type == VarType::String);  // inferred from the default
    CHECK(join(mode->choices) == join({"fast", "safe"}));
    const VarDecl* wait = r.plan->find_var("wait");
    REQUIRE(wait);
    CHECK(wait->type == VarType::Duration);
    CHECK(wait->default_value.as_string() == "5s"s);
  }

  TEST_CASE("bad var declarations are reported where they are") {
    auto r = load(R"([plan]
name = "p"
[vars]
Bad = 1
steps = 2
ratio = 1.5
a = { defualt = 1 }
b = { type = "strng" }
c = { type = "int", default = "5" }
d = { type = "duration", default = "5 sec" }
e = { default = "x", choices = ["y", "z"] }
f = [[1]]
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:4:1: variable name 'Bad' must match [a-z_][a-z0-9_]*",
              "t.toml:5:1: variable name 'steps' is reserved",
              "t.toml:6:9: variable 'ratio' cannot be a float (use a string, boolean, integer or "
              "list)",
              "t.toml:7:7: unknown key 'defualt' in [vars.a] (did you mean 'default'?)",
              "t.toml:8:15: unknown variable type 'strng': expected string, bool, int, path, list "
              "or duration",
              "t.toml:9:31: default of variable 'c' must be an int, not a string",
              "t.toml:10:37: bad duration \"5 sec\": unknown unit 'sec'; expected a duration such "
              "as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)",
              "t.toml:11:18: default 'x' of variable 'e' is not one of its choices: y, z",
              "t.toml:12:6: elements of list variable 'f' must be strings, integers or booleans, "
              "not a list",
          }));
  }
}
