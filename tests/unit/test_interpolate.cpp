// Unit tests: `${...}` templates (parse, positions, render, shell quoting), interpolate_value.
#include <doctest/doctest.h>

#include <map>

#include "interpolate.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

// Templates in these tests start at s.toml:3:8.
const SourceLoc kAt{"s.toml", 3, 8};
int col(size_t offset) {
  return 8 + static_cast<int>(offset);
}

struct MapScope : Scope {
  std::map<std::string, Value> values;
  std::optional<Value> lookup(const Ref& ref) const override {
    auto it = values.find(ref.str());
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

MapScope sample_scope() {
  MapScope s;
  s.values["vars.name"] = Value("indico");
  s.values["vars.x"] = Value("it's");
  s.values["vars.n"] = Value(5);
  s.values["vars.flag"] = Value(true);
  s.values["vars.cmd"] = Value("ls -l | wc");
  s.values["vars.pkgs"] = Value(ValueList{Value("indico"), Value("a b"), Value("it's")});
  s.values["steps.a.outputs.version"] = Value("3.3.1");
  s.values["steps.pip.outputs.after.indico"] = Value("3.3.2");
  s.values["facts.os_id"] = Value("debian");
  return s;
}

Template parse_ok(const std::string& text) {
  auto t = Template::parse(text, kAt);
  if (!t.ok()) FAIL("parse failed: " << t.error().str());
  return *t;
}

std::string render(const std::string& text, Template::Quote q = Template::Quote::None) {
  auto r = parse_ok(text).render(sample_scope(), q);
  if (!r.ok()) FAIL("render failed: " << r.error().str());
  return *r;
}

Error parse_fail(const std::string& text) {
  auto t = Template::parse(text, kAt);
  REQUIRE_FALSE(t.ok());
  return t.error();
}

}  // namespace

TEST_SUITE("interpolate") {
  TEST_CASE("plain text has no refs and renders as itself") {
    Template t = parse_ok("just text");
    CHECK_FALSE(t.has_refs());
    CHECK(t.refs().empty());
    REQUIRE(t.segments().size() == 1);
    CHECK(t.segments()[0].literal == "just text"s);
    CHECK(render("just text") == "just text"s);
    CHECK(parse_ok("").segments().empty());
    CHECK(render("") == ""s);
  }

  TEST_CASE("every form of reference, with the column of its $") {
    const std::string text =
        "${name}/${vars.x}/${steps.a.outputs.version}/${facts.os_id}/${raw:cmd}/"
        "${steps.pip.outputs.after.indico}";
    Template t = parse_ok(text);
    CHECK(t.has_refs());
    auto refs = t.refs();
    REQUIRE(refs.size() == 6);
    CHECK(refs[0].kind == Ref::Kind::Var);
    CHECK(refs[0].name == "name"s);
    CHECK(refs[1].kind == Ref::Kind::Var);
    CHECK(refs[1].name == "x"s);
    CHECK(refs[2].kind == Ref::Kind::StepOutput);
    CHECK(refs[2].step == "a"s);
    CHECK(refs[2].name == "version"s);
    CHECK(refs[3].kind == Ref::Kind::Fact);
    CHECK(refs[3].name == "os_id"s);
    CHECK(refs[4].str() == "vars.cmd"s);
    CHECK(refs[5].name == "after.indico"s);
    size_t from = 0;
    for (const Ref& r : refs) {
      const size_t dollar = text.find("${", from);
      CAPTURE(r.str());
      CHECK(r.loc.col == col(dollar));
      CHECK(r.loc.line == 3);
      CHECK(r.loc.file == "s.toml"s);
      from = dollar + 1;
    }
    int raws = 0;
    for (const auto& seg : t.segments()) raws += seg.raw;
    CHECK(raws == 1);
    CHECK(render(text) == "indico/it's/3.3.1/debian/ls -l | wc/3.3.2"s);
  }

  TEST_CASE("$$ is a literal $, and a lone $ stays as written") {
    Template t = parse_ok("cost $$5, $${HOME} and $HOME, $1 and a trailing $");
    CHECK_FALSE(t.has_refs());
    CHECK(render("cost $$5, $${HOME} and $HOME, $1 and a trailing $") ==
          "cost $5, ${HOME} and $HOME, $1 and a trailing $"s);
    CHECK(render("$$$${name}") == "$${name}"s);
    CHECK(render("$$${name}") == "$indico"s);
    CHECK(render("${name}$$") == "indico$"s);
  }

  TEST_CASE("spaces inside ${ } are allowed") {
    CHECK(render("[${ name }]") == "[indico]"s);
    CHECK(parse_ok("  ${ name }").refs()[0].loc.col == col(2));
  }

  TEST_CASE("non-string values render as text") {
    CHECK(render("n=${n} flag=${flag}") == "n=5 flag=true"s);
    CHECK(render("${pkgs}") == "indico a b it's"s);
  }

  TEST_CASE("shell_quote") {
    CHECK(shell_quote("abc") == "'abc'"s);
    CHECK(shell_quote("it's") == "'it'\\''s'"s);
    CHECK(shell_quote("") == "''"s);
    CHECK(shell_quote("$(rm -rf /) `x` \"q\"") == "'$(rm -rf /) `x` \"q\"'"s);
    CHECK(shell_quote("''") == "''\\'''\\'''"s);
  }

  TEST_CASE("shell mode quotes each value; raw is inserted as is") {
    using Q = Template::Quote;
    CHECK(render("echo ${x}", Q::Shell) == "echo 'it'\\''s'"s);
    CHECK(render("echo ${name} ${n}", Q::Shell) == "echo 'indico' '5'"s);
    CHECK(render("${raw:cmd} > /dev/null", Q::Shell) == "ls -l | wc > /dev/null"s);
    CHECK(render("pip install ${pkgs}", Q::Shell) == "pip install 'indico' 'a b' 'it'\\''s'"s);
    CHECK(render("pip install ${raw:pkgs}", Q::Shell) == "pip install indico a b it's"s);
    CHECK(render("echo $$HOME ${name}", Q::Shell) == "echo $HOME 'indico'"s);
    MapScope s;
    s.values["vars.empty"] = Value(ValueList{});
    auto r = parse_ok("x ${empty} y").render(s, Q::Shell);
    REQUIRE(r.ok());
    CHECK(*r == "x  y"s);
  }

  TEST_CASE("parse errors carry the exact column") {
    struct Row {
      const char* text;
      const char* message;
      size_t offset;
    };
    const Row rows[] = {
        {"echo ${name", "unterminated '${': missing '}'", 5},
        {"a ${x} b ${", "unterminated '${': missing '}'", 9},
        {"echo ${}", "empty '${}': expected a name, e.g. ${venv}", 5},
        {"echo ${  }", "empty '${}': expected a name, e.g. ${venv}", 5},
        {"${steps.x}",
         "incomplete reference 'steps.x': expected steps.x.status, steps.x.fired or "
         "steps.x.outputs.NAME",
         2},
        {"--${steps.x.stats}", "unknown step attribute 'stats' (did you mean 'status'?)", 12},
        {"${rwa:x}", "unknown modifier 'rwa:' in '${rwa:x}' (did you mean 'raw'?)", 2},
        {"${HOME:-/root}",
         "unknown modifier 'HOME:' in '${HOME:-/root}' (write $${ for a literal '${')", 2},
        {"${a b}",
         "invalid character ' ' in reference 'a b' (names use letters, digits, '_' and '-') "
         "(write $${ for a literal '${')",
         3},
        {"${raw:}", "empty reference: expected a name", 6},
        {"${raw:steps.x}",
         "incomplete reference 'steps.x': expected steps.x.status, steps.x.fired or "
         "steps.x.outputs.NAME",
         6},
        {"${a.b}",
         "unknown reference 'a.b': expected NAME, vars.NAME, steps.ID.status, steps.ID.fired, "
         "steps.ID.outputs.NAME or facts.NAME",
         2},
    };
    for (const Row& row : rows) {
      CAPTURE(std::string(row.text));
      Error e = parse_fail(row.text);
      CHECK(e.message == std::string(row.message));
      CHECK(e.loc.col == col(row.offset));
      CHECK(e.loc.line == 3);
      CHECK(e.loc.file == "s.toml"s);
    }
  }

  TEST_CASE("positions follow newlines in multi-line scripts") {
    Template t = parse_ok("set -e\n  echo ${name}\necho ${x}");
    auto refs = t.refs();
    REQUIRE(refs.size() == 2);
    CHECK(refs[0].loc.line == 4);
    CHECK(refs[0].loc.col == 8);
    CHECK(refs[1].loc.line == 5);
    CHECK(refs[1].loc.col == 6);
    Error e = parse_fail("a\nb ${steps.q.bad}");
    CHECK(e.loc.line == 4);
    CHECK(e.loc.col == 13);
  }

  TEST_CASE("an unresolved ref is an error at its $") {
    MapScope s;
    auto r = parse_ok("echo ${missing}").render(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "undefined reference ${missing}"s);
    CHECK(r.error().loc.col == col(5));

    r = parse_ok("v=${steps.a.outputs.v}").render(s, Template::Quote::Shell);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "undefined reference ${steps.a.outputs.v}"s);
    CHECK(r.error().loc.col == col(2));

    r = parse_ok("${raw:vars.q}").render(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "undefined reference ${raw:q}"s);
  }

  TEST_CASE("interpolate_value walks lists and tables and keeps positions") {
    const SourceLoc a{"s.toml", 10, 5}, b{"s.toml", 11, 7}, k{"s.toml", 11, 1};
    Value v(ValueTable{});
    v.set("argv", Value(ValueList{Value("pip"), Value("install", a),
                                  Value("${name}==${steps.a.outputs.version}", b)}));
    v.set("env", Value(ValueTable{{"USER_NAME", Value("$${name} ${name}")}}));
    v.set("count", Value(3));
    v.set("flag", Value(false));
    v.find("argv")->key_loc = k;

    auto r = interpolate_value(v, sample_scope());
    REQUIRE(r.ok());
    const Value& out = *r;
    CHECK(out.to_string() ==
          "{ argv = [\"pip\", \"install\", \"indico==3.3.1\"], env = { USER_NAME = \"${name} "
          "indico\" }, count = 3, flag = false }"s);
    CHECK(out.find("argv")->key_loc == k);
    CHECK(out.find("argv")->as_list()[1].loc == a);
    CHECK(out.find("argv")->as_list()[2].loc == b);
    CHECK(v.find("argv")->as_list()[2].as_string() == "${name}==${steps.a.outputs.version}"s);
  }

  TEST_CASE("interpolate_value: errors, and partial mode") {
    MapScope s;
    s.values["vars.name"] = Value("indico");
    const SourceLoc at{"s.toml", 7, 12};
    Value v(ValueList{Value("${name}"), Value("${steps.pip.outputs.after.indico} by ${name}", at),
                      Value("$$x")});

    auto full = interpolate_value(v, s);
    REQUIRE_FALSE(full.ok());
    CHECK(full.error().message == "undefined reference ${steps.pip.outputs.after.indico}"s);
    CHECK(full.error().loc == at);

    auto partial = interpolate_value(v, s, true);
    REQUIRE(partial.ok());
    CHECK(partial->to_string() ==
          "[\"indico\", \"${steps.pip.outputs.after.indico} by ${name}\", \"$x\"]"s);

    s.values["steps.pip.outputs.after.indico"] = Value("3.3.2");
    auto later = interpolate_value(*partial, s, true);
    REQUIRE(later.ok());
    CHECK(later->to_string() == "[\"indico\", \"3.3.2 by indico\", \"$x\"]"s);

    // A malformed template is an error even in partial mode, at its position.
    Value bad(ValueTable{{"script", Value("echo ${steps.x}", at)}});
    auto e = interpolate_value(bad, s, true);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().loc.col == 12 + 7);
    CHECK(e.error().message.find("incomplete reference 'steps.x'") == 0);
  }
}
