// Unit tests: refs, the `when` language (parse, type check, evaluate), version comparison.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "expr.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

// Expressions in these tests start at p.toml:5:10.
const SourceLoc kAt{"p.toml", 5, 10};
int col(size_t offset) {
  return 10 + static_cast<int>(offset);
}

// A scope backed by a map keyed by Ref::str().
struct MapScope : Scope {
  std::map<std::string, Value> values;
  std::optional<Value> lookup(const Ref& ref) const override {
    auto it = values.find(ref.str());
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

Expr parse_ok(const std::string& text) {
  auto e = Expr::parse(text, kAt);
  if (!e.ok()) FAIL("parse failed: " << e.error().str());
  return *e;
}

Error parse_fail(const std::string& text) {
  auto e = Expr::parse(text, kAt);
  REQUIRE_FALSE(e.ok());
  return e.error();
}

bool eval_true(const std::string& text, const MapScope& scope = {}) {
  auto r = parse_ok(text).eval_bool(scope);
  if (!r.ok()) FAIL("eval failed for " << text << ": " << r.error().str());
  return *r;
}

Error eval_fail(const std::string& text, const MapScope& scope = {}) {
  auto r = parse_ok(text).eval_bool(scope);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// The static types the checker tests use; anything else is "unknown name" (without a
// position, so the checker must place it at the ref).
Result<ExprType> test_types(const Ref& r) {
  static const std::map<std::string, ExprType> types = {
      {"vars.a", ExprType::Bool},
      {"vars.b", ExprType::Bool},
      {"vars.n", ExprType::Int},
      {"vars.s", ExprType::String},
      {"vars.l", ExprType::List},
      {"vars.anything", ExprType::Any},
      {"steps.x.fired", ExprType::Int},
      {"steps.x.status", ExprType::String},
      {"steps.lock-wait-watchdog.fired", ExprType::Int},
      {"steps.pip-indico.outputs.after.indico", ExprType::String},
      {"facts.os_family", ExprType::String},
  };
  auto it = types.find(r.str());
  if (it == types.end()) return make_error("unknown name '" + r.str() + "'");
  return it->second;
}

std::vector<std::string> check(const std::string& text) {
  Diagnostics d;
  parse_ok(text).check(test_types, d);
  std::vector<std::string> out;
  for (const auto& item : d.sorted()) out.push_back(item.str());
  return out;
}

std::string at(size_t offset, const std::string& msg) {
  return "p.toml:5:" + std::to_string(col(offset)) + ": " + msg;
}

}  // namespace

TEST_SUITE("expr") {
  TEST_CASE("parse_ref accepts every form") {
    auto r = parse_ref("indico_user", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::Var);
    CHECK(r->name == "indico_user"s);
    CHECK(r->str() == "vars.indico_user"s);
    CHECK(r->loc == kAt);

    r = parse_ref("vars.venv", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::Var);
    CHECK(r->name == "venv"s);

    r = parse_ref("steps.db-upgrade.status", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::StepStatus);
    CHECK(r->step == "db-upgrade"s);
    CHECK(r->str() == "steps.db-upgrade.status"s);

    r = parse_ref("steps.lock-wait-watchdog.fired", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::StepFired);
    CHECK(r->step == "lock-wait-watchdog"s);

    r = parse_ref("steps.pip.outputs.after.indico", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::StepOutput);
    CHECK(r->step == "pip"s);
    CHECK(r->name == "after.indico"s);
    CHECK(r->str() == "steps.pip.outputs.after.indico"s);

    r = parse_ref("facts.os_family", kAt);
    REQUIRE(r.ok());
    CHECK(r->kind == Ref::Kind::Fact);
    CHECK(r->name == "os_family"s);
    CHECK(r->str() == "facts.os_family"s);
  }

  TEST_CASE("parse_ref errors say what was expected, and where") {
    auto r = parse_ref("steps.x", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "incomplete reference 'steps.x': expected steps.x.status, steps.x.fired or "
          "steps.x.outputs.NAME"s);
    CHECK(r.error().loc == kAt);

    r = parse_ref("steps.x.stats", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "unknown step attribute 'stats' (did you mean 'status'?)"s);
    CHECK(r.error().loc.col == col(8));

    r = parse_ref("steps.x.zzzzzz", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "unknown step attribute 'zzzzzz': expected steps.x.status, steps.x.fired or "
          "steps.x.outputs.NAME"s);

    r = parse_ref("steps.x.outputs", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "incomplete reference 'steps.x.outputs': expected steps.x.outputs.NAME"s);

    r = parse_ref("steps.x.status.code", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "unexpected '.code' after 'steps.x.status'"s);
    CHECK(r.error().loc.col == col(14));

    r = parse_ref("step.x.status", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("unknown reference 'step.x.status' (did you mean 'steps'?)") == 0);

    r = parse_ref("vars.a.b", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "variable names have no dots: unexpected '.b' in 'vars.a.b'"s);
    CHECK(r.error().loc.col == col(6));

    r = parse_ref("a..b", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "reference 'a..b' has an empty part"s);
    CHECK(r.error().loc.col == col(2));

    r = parse_ref("a b", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "invalid character ' ' in reference 'a b' (names use letters, digits, '_' and '-')"s);
    CHECK(r.error().loc.col == col(1));

    CHECK_FALSE(parse_ref("", kAt).ok());
    r = parse_ref("steps", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "incomplete reference 'steps': expected steps.ID.status, steps.ID.fired or "
          "steps.ID.outputs.NAME"s);
    r = parse_ref("facts", kAt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "incomplete reference 'facts': expected facts.NAME"s);
    CHECK_FALSE(parse_ref("vars", kAt).ok());
    CHECK_FALSE(parse_ref("vars.", kAt).ok());
  }

  TEST_CASE("known facts") {
    CHECK(known_facts() ==
          std::vector<std::string>{"os_id", "os_family", "os_version", "hostname", "user"});
  }

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

  TEST_CASE("refs are listed in source order with their columns") {
    Expr e = parse_ok("a and (steps.x.status == 'failed' or facts.os_family != 'rhel')");
    const auto& refs = e.refs();
    REQUIRE(refs.size() == 3);
    CHECK(refs[0].str() == "vars.a"s);
    CHECK(refs[0].loc.col == col(0));
    CHECK(refs[1].str() == "steps.x.status"s);
    CHECK(refs[1].loc.col == col(7));
    CHECK(refs[2].str() == "facts.os_family"s);
    CHECK(refs[2].loc.col == col(37));
    CHECK(refs[2].loc.line == 5);
    CHECK(refs[2].loc.file == "p.toml"s);
  }

  TEST_CASE("positions follow newlines inside the expression") {
    Expr e = parse_ok("a and\n  b");
    REQUIRE(e.refs().size() == 2);
    CHECK(e.refs()[1].loc.line == 6);
    CHECK(e.refs()[1].loc.col == 3);
    Error err = parse_fail("(a and\n  b");
    CHECK(err.message == "expected ')' to close '(' at line 5, col 10"s);
    CHECK(err.loc.line == 6);
    CHECK(err.loc.col == 4);
  }

  TEST_CASE("parse errors carry the exact column") {
    struct Row {
      const char* text;
      const char* message;
      size_t offset;
    };
    const Row rows[] = {
        {"(a == 1", "expected ')' to close '(' at col 10", 7},
        {"(a == 1 b", "expected ')' to close '(' at col 10", 8},
        {"exists('x'", "expected ')' to close '(' at col 16", 10},
        {"a == 1 xyz", "unexpected 'xyz'", 7},
        {"a == 'abc", "unterminated string: missing closing '", 5},
        {"a == \"abc", "unterminated string: missing closing \"", 5},
        {"exist('/tmp')", "unknown function 'exist' (did you mean 'exists'?)", 0},
        {"a and verison('1')", "unknown function 'verison' (did you mean 'version'?)", 6},
        {"frob(1)", "unknown function 'frob': the functions are exists(path) and version(text)", 0},
        {"exists('a', 'b')", "exists() takes 1 argument, got 2", 0},
        {"version()", "version() takes 1 argument, got 0", 0},
        {"", "empty expression", 0},
        {"   ", "empty expression", 3},
        {"a ==", "incomplete expression: expected a value after '=='", 4},
        {"not", "incomplete expression: expected a value after 'not'", 3},
        {"a and", "incomplete expression: expected a value after 'and'", 5},
        {"== 1", "unexpected '==': expected a value", 0},
        {"a and or b", "unexpected 'or': expected a value", 6},
        {"()", "unexpected ')': expected a value", 1},
        {"a = 1", "unexpected '=': use '==' to compare", 2},
        {"a && b", "unexpected '&&': use 'and'", 2},
        {"a || b", "unexpected '||': use 'or'", 2},
        {"!a", "unexpected '!': use 'not'", 0},
        {"a == 1 # c", "unexpected '#'", 7},
        {"1 < a < 3", "unexpected '<': comparisons do not chain; join them with 'and'", 6},
        {"v >= 3.3", "unexpected '3.3': write versions and text in quotes, e.g. \"3.3\"", 5},
        {"n == 99999999999999999999", "integer '99999999999999999999' is too large", 5},
        {"steps.x == 1",
         "incomplete reference 'steps.x': expected steps.x.status, steps.x.fired or "
         "steps.x.outputs.NAME",
         0},
        {"1 == steps.x.stats", "unknown step attribute 'stats' (did you mean 'status'?)", 13},
        {"(a and b", "expected ')' to close '(' at col 10", 8},
    };
    for (const Row& row : rows) {
      CAPTURE(std::string(row.text));
      Error e = parse_fail(row.text);
      CHECK(e.message == std::string(row.message));
      CHECK(e.loc.col == col(row.offset));
      CHECK(e.loc.line == 5);
      CHECK(e.loc.file == "p.toml"s);
    }
  }

  TEST_CASE("type errors: exact messages and columns, all of them") {
    CHECK(check("a and b").empty());
    CHECK(check("not a or n == 1 and s != 'x'").empty());
    CHECK(check("n < 3 and s >= '3.3' and version(s) > '1' and exists(s)").empty());
    CHECK(check("n == '42'").empty());  // a numeric literal may meet an integer
    CHECK(check("anything and anything == 3 and anything").empty());
    CHECK(check("l == l").empty());

    CHECK(check("steps.x.fired") ==
          std::vector<std::string>{
              at(0, "a `when` must be true or false; compare it, e.g. steps.x.fired == 0")});
    CHECK(check("  s ") ==
          std::vector<std::string>{
              at(2, "a `when` must be true or false; compare it, e.g. s == \"yes\"")});
    CHECK(check("version(s)") ==
          std::vector<std::string>{
              at(0, "a `when` must be true or false; compare it, e.g. version(s) >= \"1.0\"")});
    CHECK(check("l") ==
          std::vector<std::string>{at(0, "a `when` must be true or false, not list")});
    CHECK(check("a == 'yes'") ==
          std::vector<std::string>{at(2, "cannot compare boolean with string")});
    CHECK(check("n == 'abc'") ==
          std::vector<std::string>{at(2, "cannot compare integer with string")});
    CHECK(check("s == n") == std::vector<std::string>{at(2, "cannot compare string with integer")});
    CHECK(check("a < b") ==
          std::vector<std::string>{at(2, "'<' needs numbers or versions, not boolean")});
    CHECK(check("n >= l") ==
          std::vector<std::string>{at(2, "'>=' needs numbers or versions, not list")});
    CHECK(check("version(s) > 3") ==
          std::vector<std::string>{at(11, "cannot compare version with integer")});
    CHECK(check("n and a") ==
          std::vector<std::string>{at(0, "'and' needs true/false values, not integer")});
    CHECK(check("a or s") ==
          std::vector<std::string>{at(5, "'or' needs true/false values, not string")});
    CHECK(check("not n") ==
          std::vector<std::string>{at(4, "'not' needs a true/false value, not integer")});
    CHECK(check("exists(n)") ==
          std::vector<std::string>{at(7, "exists() needs a path string, not integer")});
    CHECK(check("version(a) > '1'") ==
          std::vector<std::string>{at(8, "version() needs text, not boolean")});

    // An unknown name is reported at the ref; its type becomes Any so no follow-on errors.
    CHECK(check("zzz == 1") == std::vector<std::string>{at(0, "unknown name 'vars.zzz'")});

    // Checking goes on after a problem: every one is reported, in column order.
    CHECK(check("n and (steps.q.status == 1 or a == 'x') and not s") ==
          std::vector<std::string>{
              at(0, "'and' needs true/false values, not integer"),
              at(7, "unknown name 'steps.q.status'"),
              at(32, "cannot compare boolean with string"),
              at(48, "'not' needs a true/false value, not string"),
          });
  }

  TEST_CASE("the type callback's own position wins when it gives one") {
    Diagnostics d;
    parse_ok("steps.q.status == 'x'")
        .check(
            [](const Ref& r) -> Result<ExprType> {
              SourceLoc l = r.loc;
              l.col += 6;
              return make_error("unknown step 'q'", l);
            },
            d);
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].str() == at(6, "unknown step 'q'"));
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
