// Unit tests: evaluating `when` expressions: precedence, comparisons, version ordering,
// exists() and version(), runtime errors and short-circuiting.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "expr.h"
#include "expr_test_util.h"

using namespace ordo;
using namespace expr_test;
using namespace std::string_literals;

TEST_SUITE("expr") {
  TEST_CASE("not binds tighter than and, and tighter than or") {
    // `not a or b and c` must be `(not a) or (b and c)`: check all eight inputs.
    Expr e = parse_ok("not a or b and c");
    for (int bits = 0; bits < 8; ++bits) {
      const bool a = bits & 1, b = bits & 2, c = bits & 4;
      MapScope s;
      s.values = {{"vars.a", Value(a)}, {"vars.b", Value(b)}, {"vars.c", Value(c)}};
      auto r = e.eval_bool(s);
      REQUIRE(r.ok());
      CAPTURE(bits);
      CHECK(*r == ((!a) || (b && c)));
    }
  }

  TEST_CASE("parentheses override precedence") {
    Expr e = parse_ok("not (a or b) and c");
    Expr f = parse_ok("(a or b) and c");
    for (int bits = 0; bits < 8; ++bits) {
      const bool a = bits & 1, b = bits & 2, c = bits & 4;
      MapScope s;
      s.values = {{"vars.a", Value(a)}, {"vars.b", Value(b)}, {"vars.c", Value(c)}};
      CAPTURE(bits);
      CHECK(e.eval_bool(s).value() == (!(a || b) && c));
      CHECK(f.eval_bool(s).value() == ((a || b) && c));
    }
    CHECK(eval_true("((true))"));
    CHECK(eval_true("not not true"));
  }

  TEST_CASE("every comparison operator on integers and strings") {
    struct Row {
      const char* text;
      bool want;
    };
    const Row rows[] = {
        {"1 == 1", true},
        {"1 == 2", false},
        {"1 != 2", true},
        {"1 != 1", false},
        {"1 < 2", true},
        {"2 < 1", false},
        {"2 <= 2", true},
        {"3 <= 2", false},
        {"3 > 2", true},
        {"2 > 2", false},
        {"2 >= 2", true},
        {"1 >= 2", false},
        {"-3 < 2", true},
        {"'abc' == \"abc\"", true},
        {"'abc' != 'abd'", true},
        {"'abc' < 'abd'", true},
        {"'b' > 'a'", true},
        {"'b' <= 'a'", false},
        {"true == true", true},
        {"true != false", true},
        {"false == true", false},
        {"2 < 2", false},
        {"'a' < 'a'", false},
        {"'a' > 'a'", false},
        {"1<2", true},
        {"'it\\'s' == \"it's\"", true},
    };
    for (const Row& row : rows) {
      CAPTURE(std::string(row.text));
      CHECK(eval_true(row.text) == row.want);
    }
  }

  TEST_CASE("version-like strings compare by component") {
    CHECK(eval_true("'3.10' > '3.9'"));  // lexicographic order would say false
    CHECK(eval_true("'3.3.12' < '3.10'"));
    CHECK(eval_true("'3.3' == '3.3.0'"));
    CHECK(eval_true("'v3.3.1' < '3.3.2'"));
    CHECK(eval_true("'3.3.0rc1' < '3.3.0'"));
    CHECK(eval_true("'10' > '9'"));
    CHECK_FALSE(eval_true("'3.3' != '3.3.0'"));
    CHECK_FALSE(eval_true("'3.3' < '3.3.0'"));
    CHECK(eval_true("'3.3' <= '3.3.0'"));
    // Not versions: plain text rules.
    CHECK(eval_true("'b10' < 'b9'"));
    CHECK_FALSE(eval_true("'abc' == 'ABC'"));
  }

  TEST_CASE("compare_versions") {
    CHECK(compare_versions("3.3.12", "3.10") < 0);
    CHECK(compare_versions("3.10", "3.3.12") > 0);
    CHECK(compare_versions("3.3", "3.3.0") == 0);
    CHECK(compare_versions("v3.3.1", "3.3.2") < 0);
    CHECK(compare_versions("3.3.1", "3.3.1") == 0);
    CHECK(compare_versions("3.3.01", "3.3.1") == 0);
    CHECK(compare_versions("3.3.0rc1", "3.3.0") < 0);
    CHECK(compare_versions("3.3.0rc2", "3.3.0rc1") > 0);
    CHECK(compare_versions("3.3.0b1", "3.3.0rc1") < 0);
    CHECK(compare_versions("3.3.0.dev1", "3.3.0a1") < 0);
    CHECK(compare_versions("3.3.0.post1", "3.3.0") > 0);
    CHECK(compare_versions("3.3.0.post1", "3.3.1") < 0);
    CHECK(compare_versions("99999999999999999999.1", "99999999999999999998.9") > 0);
    CHECK(compare_versions("", "0") == 0);
  }

  TEST_CASE("integers compare with numeric strings as numbers") {
    MapScope s;
    s.values["steps.x.outputs.n"] = Value("3\n");
    s.values["steps.x.outputs.word"] = Value("three");
    CHECK(eval_true("steps.x.outputs.n == 3", s));
    CHECK(eval_true("3 == steps.x.outputs.n", s));
    CHECK(eval_true("'10' > 9"));
    CHECK(eval_true("9 < '10'"));
    CHECK_FALSE(eval_true("steps.x.outputs.word == 3", s));
    CHECK(eval_true("steps.x.outputs.word != 3", s));
    Error e = eval_fail("steps.x.outputs.word < 3", s);
    CHECK(e.message == "cannot compare string \"three\" with integer 3"s);
    CHECK(e.loc.col == col(21));
  }

  TEST_CASE("exists() checks the file system, with ~ as $HOME") {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "ordo-expr-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    const fs::path dir = tmpl;
    std::ofstream(dir / "flag") << "x";
    const std::string file = (dir / "flag").string();

    CHECK(eval_true("exists('" + file + "')"));
    CHECK_FALSE(eval_true("exists('" + file + ".missing')"));
    MapScope s;
    s.values["vars.p"] = Value(file);
    CHECK(eval_true("exists(p)", s));

    const char* old_home = std::getenv("HOME");
    const std::string saved = old_home ? old_home : "";
    setenv("HOME", dir.c_str(), 1);
    CHECK(eval_true("exists('~/flag')"));
    CHECK(eval_true("exists('~')"));
    CHECK_FALSE(eval_true("exists('~/nope')"));
    if (old_home)
      setenv("HOME", saved.c_str(), 1);
    else
      unsetenv("HOME");
    fs::remove_all(dir);
    CHECK_FALSE(eval_true("exists('" + file + "')"));
  }

  TEST_CASE("version() extracts the first version number") {
    MapScope s;
    s.values["steps.x.outputs.stdout"] = Value("indico 3.3.1 (python 3.12)\n");
    CHECK(eval_true("version(steps.x.outputs.stdout) == '3.3.1'", s));
    CHECK(eval_true("version(steps.x.outputs.stdout) >= '3.3'", s));
    CHECK(eval_true("version(steps.x.outputs.stdout) < '3.10'", s));
    CHECK(eval_true("version('v2.0-final') == '2'"));
    auto v = parse_ok("version('Python 3.12.1+')").eval(s);
    REQUIRE(v.ok());
    CHECK(v->as_string() == "3.12.1"s);

    Error e = eval_fail("version('none') == '1'");
    CHECK(e.message == "version(): no version number in \"none\""s);
    CHECK(e.loc.col == col(0));
  }

  TEST_CASE("the motivating examples") {
    MapScope s;
    s.values["steps.lock-wait-watchdog.fired"] = Value(0);
    s.values["steps.pip-indico.outputs.after.indico"] = Value("3.3.12");
    Expr fired = parse_ok("steps.lock-wait-watchdog.fired == 0");
    CHECK(fired.eval_bool(s).value());
    s.values["steps.lock-wait-watchdog.fired"] = Value(2);
    CHECK_FALSE(fired.eval_bool(s).value());

    Expr pip = parse_ok("steps.pip-indico.outputs.after.indico >= \"3.3\"");
    REQUIRE(pip.refs().size() == 1);
    CHECK(pip.refs()[0].kind == Ref::Kind::StepOutput);
    CHECK(pip.refs()[0].step == "pip-indico"s);
    CHECK(pip.refs()[0].name == "after.indico"s);
    CHECK(pip.eval_bool(s).value());
    s.values["steps.pip-indico.outputs.after.indico"] = Value("3.2.9");
    CHECK_FALSE(pip.eval_bool(s).value());

    CHECK(check("steps.lock-wait-watchdog.fired == 0").empty());
    CHECK(check("steps.pip-indico.outputs.after.indico >= \"3.3\"").empty());
  }

  TEST_CASE("runtime: unknown refs, short-circuit, non-boolean results") {
    MapScope s;
    Error e = eval_fail("a == 1 or steps.x.outputs.y == 'z'", s);
    CHECK(e.message == "vars.a is not known"s);
    CHECK(e.loc.col == col(0));

    s.values["vars.a"] = Value(2);
    e = eval_fail("a == 1 or steps.x.outputs.y == 'z'", s);
    CHECK(e.message == "steps.x.outputs.y is not known (did step x run?)"s);
    CHECK(e.loc.col == col(10));

    e = eval_fail("steps.db-upgrade.status == 'failed'", s);
    CHECK(e.message == "steps.db-upgrade.status is not known (did step db-upgrade run?)"s);

    // Short-circuit: the unknown ref is never looked at.
    CHECK_FALSE(eval_true("false and steps.x.outputs.y == 1", s));
    CHECK(eval_true("true or steps.x.outputs.y == 1", s));

    e = eval_fail("a", s);
    CHECK(e.message == "a `when` must be true or false, got integer 2"s);
    CHECK(e.loc.col == col(0));
    auto v = parse_ok("a").eval(s);
    REQUIRE(v.ok());
    CHECK(v->as_int() == 2);

    e = eval_fail("a and true", s);
    CHECK(e.message == "'and' needs true/false values, got integer 2"s);
    e = eval_fail("a == 'x' or a < true", s);
    CHECK(e.message == "'<' needs numbers or versions, not boolean"s);
    CHECK(e.loc.col == col(14));
    e = eval_fail("true == 'true'", s);
    CHECK(e.message == "cannot compare boolean true with string \"true\""s);
  }

  TEST_CASE("lists compare for equality") {
    MapScope s;
    s.values["vars.l"] = Value(ValueList{Value("a"), Value("b")});
    s.values["vars.m"] = Value(ValueList{Value("a"), Value("b")});
    CHECK(eval_true("l == m", s));
    CHECK_FALSE(eval_true("l != m", s));
  }

  TEST_CASE("an Expr is a value: copies evaluate alike") {
    Expr e = parse_ok("n > 1");
    Expr copy = e;
    MapScope s;
    s.values["vars.n"] = Value(5);
    CHECK(copy.eval_bool(s).value());
    CHECK(copy.text() == "n > 1"s);
  }
}
