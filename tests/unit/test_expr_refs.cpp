// Unit tests: references in the `when` language (vars, steps.ID.status/fired/outputs, facts):
// the forms parse_ref accepts, its errors, and the positions of refs in an expression.
#include <doctest/doctest.h>

#include "expr.h"
#include "expr_test_util.h"

using namespace ordo;
using namespace expr_test;
using namespace std::string_literals;

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
}
