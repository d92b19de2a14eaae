// Unit tests: Result, Diagnostics, Value, durations, suggestions, Boxed.
#include <doctest/doctest.h>

#include <sstream>

#include "boxed.h"
#include "diagnostics.h"
#include "duration.h"
#include "value.h"

using namespace ordo;
using namespace std::string_literals;

TEST_SUITE("core") {
  TEST_CASE("Boxed is an optional on the heap: empty, set, deep copies, moves, resets") {
    static_assert(sizeof(Boxed<std::string>) == sizeof(void*));
    Boxed<std::string> b;
    CHECK_FALSE(b);
    CHECK_FALSE(b.has_value());
    CHECK(b.value_or_empty() == ""s);

    b = "first"s;
    REQUIRE(b);
    CHECK(*b == "first"s);
    CHECK(b->size() == 5);
    CHECK(b.value_or_empty() == "first"s);
    const std::string* where = &*b;
    b = "second"s;  // assigning to a set box reuses its T
    CHECK(&*b == where);
    CHECK(*b == "second"s);

    Boxed<std::string> copy = b;  // deep: a T of its own
    REQUIRE(copy);
    CHECK(&*copy != &*b);
    *copy += "!";
    CHECK(*b == "second"s);
    CHECK(*copy == "second!"s);
    copy = b;
    CHECK(*copy == "second"s);
    Boxed<std::string> none;
    copy = none;
    CHECK_FALSE(copy);

    Boxed<std::string> moved = std::move(b);  // the pointer moves: same T
    REQUIRE(moved);
    CHECK(&*moved == where);
    moved.reset();
    CHECK_FALSE(moved);
    CHECK(moved.value_or_empty().empty());
  }

  TEST_CASE("BoxedVector reads like its vector, holds nothing while empty, copies deeply") {
    static_assert(sizeof(BoxedVector<std::string>) == sizeof(void*));
    BoxedVector<std::string> v;
    CHECK(v.empty());
    CHECK(v.size() == 0);
    CHECK(v.begin() == v.end());
    for (std::string& s : v) FAIL("an empty box has no element: " << s);
    const std::vector<std::string>& none = v;  // converts to the vector it stands for
    CHECK(none.empty());

    v.push_back("a");
    v.emplace_back(2, 'b');
    REQUIRE(v.size() == 2);
    CHECK(v.front() == "a"s);
    CHECK(v.back() == "bb"s);
    CHECK(v[1] == "bb"s);
    std::string joined;
    for (const std::string& s : v) joined += s;
    CHECK(joined == "abb"s);
    const std::vector<std::string>& as_vector = v;
    CHECK(as_vector == std::vector<std::string>{"a", "bb"});

    BoxedVector<std::string> copy = v;  // deep
    copy.mut().push_back("c");
    CHECK(v.size() == 2);
    CHECK(copy.size() == 3);
    for (std::string& s : copy) s += "!";
    CHECK(copy[0] == "a!"s);
    CHECK(v[0] == "a"s);

    copy = std::vector<std::string>{};  // an empty vector empties the box
    CHECK(copy.empty());
    copy = {"x", "y"};
    CHECK(copy.size() == 2);
    BoxedVector<std::string> moved = std::move(copy);
    CHECK(moved.size() == 2);
    moved.clear();
    CHECK(moved.empty());
  }

  TEST_CASE("durations parse in every unit and combination") {
    CHECK(parse_duration("500ms").value() == Millis(500));
    CHECK(parse_duration("5s").value() == Millis(5000));
    CHECK(parse_duration("2m").value() == Millis(120000));
    CHECK(parse_duration("1h30m").value() == Millis(5400000));
    CHECK(parse_duration("1h 30m").value() == Millis(5400000));
    CHECK(parse_duration("1d").value() == Millis(86400000));
  }

  TEST_CASE("bad durations say what was expected") {
    auto r = parse_duration("5");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("needs a unit") != std::string::npos);
    auto r2 = parse_duration("5 sec");
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().message.find("unknown unit 'sec'") != std::string::npos);
    CHECK_FALSE(parse_duration("").ok());
    CHECK_FALSE(parse_duration("abc").ok());
  }

  TEST_CASE("durations format readably") {
    CHECK(format_duration(Millis(250)) == "250ms"s);
    CHECK(format_duration(Millis(1500)) == "1.5s"s);
    CHECK(format_duration(Millis(90000)) == "1m30s"s);
    CHECK(format_duration(Millis(3600000)) == "1h"s);
  }

  TEST_CASE("did-you-mean picks the closest candidate and only close ones") {
    std::vector<std::string> c = {"start", "stop", "restart", "reload"};
    CHECK(closest_match("restrat", c) == "restart"s);
    CHECK(closest_match("strat", c) == "start"s);
    CHECK(closest_match("zzzzzz", c) == ""s);
    CHECK(did_you_mean("requies", {"requires", "after"}) == " (did you mean 'requires'?)"s);
  }

  TEST_CASE("diagnostics print sorted by position with file:line:col") {
    Diagnostics d;
    d.error({"b.toml", 3, 1}, "third");
    d.error({"a.toml", 9, 2}, "second");
    d.error({"a.toml", 2, 5}, "first");
    d.warning({"a.toml", 2, 5}, "careful");
    std::ostringstream out;
    d.print(out);
    CHECK(
        out.str() ==
        "a.toml:2:5: first\na.toml:2:5: warning: careful\na.toml:9:2: second\nb.toml:3:1: third\n"s);
    CHECK(d.error_count() == 3);
  }

  TEST_CASE("values render as text, TOML-ish and JSON") {
    Value list(ValueList{Value("a"), Value(int64_t{2}), Value(true)});
    CHECK(list.to_string() == "[\"a\", 2, true]"s);
    CHECK(list.to_text() == "a 2 true"s);
    CHECK(list.to_json() == "[\"a\",2,true]"s);
    Value t(ValueTable{});
    t.set("k", Value("v\n"));
    CHECK(t.to_json() == "{\"k\":\"v\\n\"}"s);
    CHECK(t.find("k")->as_string() == "v\n"s);
    CHECK(t.same_as(Value(ValueTable{{"k", Value("v\n", SourceLoc{"x", 1, 1})}})));
  }

  TEST_CASE("FileName interns: equal text is one entry, it reads and orders like its string") {
    std::string path = "plans/a-rather-long-file-name.toml";
    FileName a(path), b{std::string_view(path)}, c("plans/other.toml"), none;
    CHECK(a == b);
    CHECK(&a.str() == &b.str());  // one entry, not a copy per FileName
    CHECK(a != c);
    CHECK(a == path);
    CHECK(none.empty());
    CHECK(none.str() == ""s);
    CHECK(FileName("") == none);
    CHECK_FALSE(c < a);
    CHECK(a < c);                      // "plans/a..." < "plans/o..."
    const std::string& as_string = a;  // converts to const std::string&
    CHECK(as_string == path);
    SourceLoc loc{path, 3, 7};
    CHECK(loc.str() == path + ":3:7");
    CHECK(loc == SourceLoc{"plans/a-rather-long-file-name.toml", 3, 7});
    CHECK(Error{"boom", loc}.str() == path + ":3:7: boom");
    std::ostringstream os;
    os << loc.file;
    CHECK(os.str() == path);
    CHECK(sizeof(SourceLoc) == sizeof(void*) + 2 * sizeof(int));
  }
}
