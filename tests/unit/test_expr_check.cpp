// Unit tests: the errors of the `when` language before a run: parse errors with their exact
// columns, and the type checker's messages.
#include <doctest/doctest.h>

#include "expr.h"
#include "expr_test_util.h"

using namespace ordo;
using namespace expr_test;
using namespace std::string_literals;

TEST_SUITE("expr") {
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
}
