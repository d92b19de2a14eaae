// Unit tests: the direct writer of the per-step records (events_json.h) writes the same bytes as
// the JSON-document writer for every kind of text — plain, escaped, UTF-8, invalid UTF-8 — and
// the timestamp cache never serves a stale second.
#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "event_fixtures.h"
#include "events_json.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

using test_events::ev;

// Texts that take every path of the string writer.
const std::vector<std::string> kTexts = {
    "",
    "plain text, with spaces & symbols: ~!@#$%^*()[]{}",
    "a \"quoted\" word",
    "back\\slash",
    "tab\there, newline\nthere, return\r",
    "bell \x07, escape \x1b[31mred\x1b[0m, DEL \x7f",
    "UTF-8: grüße, 日本, 🚀",
    "invalid UTF-8: \xff\xfe, truncated \xe2\x82",
    std::string("a NUL \0 inside", 14),
};

}  // namespace

TEST_SUITE("events_json") {
  TEST_CASE("the direct writer matches the document writer byte for byte") {
    std::vector<Event> events;
    for (const std::string& t : kTexts) {
      events.push_back(ev(StepStarted{t, 3, true, "shell", t}, 12));
      events.push_back(ev(StepStarted{"a", 1, false, t, ""}));
      events.push_back(ev(StepOutput{t, OutputStream::Stdout, t}, 99999));
      events.push_back(ev(StepOutput{"a", OutputStream::Stderr, t}));
      events.push_back(ev(StepWarning{t, t}));
      events.push_back(ev(StepRetrying{t, 2, Millis(1500), t, true}));
      events.push_back(ev(StepRetrying{"a", 5, Millis(0), "", false}));
      events.push_back(ev(StepFinished{t, StepStatus::Failed, 2, -9, t, {}, Millis(123456789)}));
      events.push_back(ev(StepFinished{"a",
                                       StepStatus::Succeeded,
                                       1,
                                       0,
                                       "",
                                       {{"version", Value(t)}, {"n", Value(int64_t{7})}},
                                       Millis(5)}));
      for (SkipKind k : {SkipKind::NotApplicable, SkipKind::Blocked, SkipKind::NotReached})
        events.push_back(ev(StepSkipped{t, k, t, t}));
    }
    for (StepStatus s :
         {StepStatus::Succeeded, StepStatus::Failed, StepStatus::TimedOut, StepStatus::Cancelled})
      events.push_back(ev(StepFinished{"x", s, 1, 1, "m", {}, Millis(1)}));
    // Records the direct writer leaves to the document writer.
    events.push_back(ev(RunAborting{"interrupted", "", 1}));
    events.push_back(ev(RunFinished{RunOutcome::Failed, {}, {"a"}, Millis(3)}));
    events.push_back(ev(WatcherFired{"w", 2, {{"pid", Value(int64_t{42})}}, {"t"}}));
    for (const Event& e : events) {
      const std::string reference = event_to_json_generic(e);
      CAPTURE(reference);
      CHECK(event_to_json(e) == reference);
      std::string appended = "previous line\n";
      append_event_json(appended, e);
      CHECK(appended == "previous line\n" + reference);
    }
  }

  TEST_CASE("the sink writes the direct writer's lines") {
    std::ostringstream out;
    JsonLinesSink sink(out);
    Event a = ev(StepStarted{"a", 1, false, "shell", "f00"});
    Event b = ev(StepOutput{"a", OutputStream::Stdout, "x\"y"}, 5);
    sink.on_event(a);
    sink.on_event(b);
    CHECK(out.str() == event_to_json_generic(a) + "\n" + event_to_json_generic(b) + "\n");
  }

  TEST_CASE("timestamps: the cached second is replaced when the second changes") {
    using std::chrono::milliseconds;
    const auto s3 = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'654'923));
    CHECK(format_utc_ms(s3 + milliseconds(999)) == "2026-11-26T01:02:03.999Z"s);
    CHECK(format_utc_ms(s3 + milliseconds(1000)) == "2026-11-26T01:02:04.000Z"s);
    CHECK(format_utc_ms(s3 + milliseconds(7)) == "2026-11-26T01:02:03.007Z"s);
    CHECK(format_utc_ms(s3 + milliseconds(86'400'000 + 50)) == "2026-11-27T01:02:03.050Z"s);
    // Before the epoch the milliseconds still count up within their second.
    const auto epoch = std::chrono::system_clock::time_point();
    CHECK(format_utc_ms(epoch - milliseconds(1)) == "1969-12-31T23:59:59.999Z"s);
    CHECK(format_utc_ms(epoch) == "1970-01-01T00:00:00.000Z"s);
  }
}
