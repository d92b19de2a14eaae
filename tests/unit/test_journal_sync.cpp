// The scheduler's sync policy for the journal: one sync per step on a chain, one per wave, the
// sync before the other sinks flush, a non-idempotent step started only once its start is
// synced, and step fingerprints — with the fake clock and dispatcher (sched_fakes.h).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events_json.h"
#include "fingerprint.h"
#include "journal.h"
#include "journal_replay.h"
#include "journal_test_util.h"
#include "resume.h"
#include "run_lock.h"
#include "run_vars.h"
#include "sched_fakes.h"
#include "sha256.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;
using namespace journal_test;

namespace {

// The index of the first event of type T for `step` (or events.size()).
template <class T>
size_t index_of(const RecordingSink& sink, const std::string& step) {
  for (size_t i = 0; i < sink.events.size(); ++i)
    if (const T* b = std::get_if<T>(&sink.events[i].body))
      if (b->step == step) return i;
  return sink.events.size();
}

}  // namespace

TEST_SUITE("journal") {
  TEST_CASE("a chain of N steps costs one sync per step; each end is synced before its dependent") {
    std::string toml;
    for (int i = 1; i <= 30; ++i) {
      toml += "[steps.s" + std::to_string(i) + "]\nkind = \"job\"\n";
      if (i > 1) toml += "requires = [\"s" + std::to_string(i - 1) + "\"]\n";
    }
    Run r(toml, 4, {}, /*start_now=*/false);
    std::map<std::string, size_t> synced_at_launch;  // events made durable when it started
    r.disp.observe = [&](const Launch& l) {
      synced_at_launch[l.ctx.step_id] = r.sink.syncs.empty() ? 0 : r.sink.syncs.back();
    };
    r.sched->start();
    for (int i = 1; i <= 30; ++i) r.finish("s" + std::to_string(i), ok());
    REQUIRE(r.sched->finished());
    CHECK(r.sched->syncs() <= 31);  // 29 between steps + the end
    CHECK(r.sched->syncs() == static_cast<int>(r.sink.syncs.size()));
    for (int i = 2; i <= 30; ++i) {
      size_t end = index_of<StepFinished>(r.sink, "s" + std::to_string(i - 1));
      CHECK(synced_at_launch["s" + std::to_string(i)] > end);
    }
    CHECK(r.sink.syncs.back() == r.sink.events.size());  // run_finished is synced
  }

  TEST_CASE("a turn writes its records before its steps start, console and logs after") {
    // The journal syncs before the other sinks are flushed: the step logs' writer creates files
    // at flush(), and done during the journal's fdatasync that holds up the file system commit
    // the sync waits for (tests/bench/README.md).
    Run r(kChain, 4, {}, /*start_now=*/false);
    std::string calls_at_launch;
    r.disp.observe = [&](const Launch& l) {
      if (l.ctx.step_id == "b") calls_at_launch = r.sink.calls;
    };
    r.sched->start();
    r.finish("a", ok());
    REQUIRE(r.running("b"));
    // b's turn: sync, flush, then b started, then after_launch.
    CHECK(calls_at_launch.ends_with("sf"));
    CHECK(r.sink.calls.substr(calls_at_launch.size()) == "a"s);
    // Through a FanOut: the journal-like sink is flushed before the launch, the late one after.
    struct Counting final : EventSink {
      Counting(std::string& log, char name) : log_(log), name_(name) {}
      void flush() override { log_ += name_; }
      void on_event(const Event&) override {}
      std::string& log_;
      char name_;
    };
    std::string log;
    Counting early(log, 'J'), late(log, 'c');
    FanOut fan;
    fan.add(early);
    fan.add(late, FanOut::Flush::AfterLaunch);
    fan.flush();
    CHECK(log == "J"s);
    fan.after_launch();
    CHECK(log == "Jc"s);
  }

  TEST_CASE("a wide wave finishing costs one sync, also when slots free up one by one") {
    for (int jobs : {30, 2}) {
      INFO("-j " << jobs);
      std::string toml;
      for (int i = 1; i <= 30; ++i) toml += "[steps.w" + std::to_string(i) + "]\nkind = \"job\"\n";
      toml += "[steps.join]\nkind = \"job\"\nrequires = [";
      for (int i = 1; i <= 30; ++i) toml += (i > 1 ? ", \"w" : "\"w") + std::to_string(i) + "\"";
      toml += "]\n";
      Run r(toml, jobs);
      while (!r.disp.active.empty() && r.disp.active.front().ctx.step_id != "join")
        r.finish(r.disp.active.front().ctx.step_id, ok());
      REQUIRE(r.running("join"));
      r.finish("join", ok());
      REQUIRE(r.sched->finished());
      CHECK(r.sched->syncs() == 2);  // before `join` starts, and at the end
    }
  }

  TEST_CASE("a step that is not idempotent starts only once its start record is synced") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.once]
kind = "job"
idempotent = false
)",
          4);
    size_t start = index_of<StepStarted>(r.sink, "once");
    REQUIRE(start < r.sink.events.size());
    REQUIRE(r.sink.syncs.size() == 1);
    CHECK(r.sink.syncs[0] > start);  // the start record was synced before the launch
    CHECK(r.running("once"));
  }

  TEST_CASE("step_started carries a fingerprint of kind and resolved params") {
    Run r1(kChain, 4, salted());
    Run r2(kChain, 4, salted());
    Run other(
        std::string(kChain).replace(std::string(kChain).find("msg = \"a\""), 9, "msg = \"z\""), 4,
        salted());
    auto fp = [](Run& r) { return r.sink.find<StepStarted>("a")->fingerprint; };
    CHECK(fp(r1).size() == 64);
    CHECK(fp(r1) == fp(r2));
    CHECK(fp(r1) != fp(other));
    SchedulerOptions unsalted;
    Run r3(kChain, 4, unsalted);
    CHECK(fp(r1) != fp(r3));  // the salt is part of it
  }
}
