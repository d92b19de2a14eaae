// The scheduler with its real seams: ThreadDispatcher (a pool of worker threads, one per
// running step and per watcher at most) and SystemRunClock, with small in-process executors. Checks
// what the fakes cannot: steps really run at once, firings cross threads, interrupt() from another
// thread, an executor that throws.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "sched_fakes.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

namespace {

// Shared by the executors of one test (reset by each test).
struct World {
  std::latch* meet = nullptr;         // "meet" steps wait here for each other
  std::atomic<int> fire_results{0};   // watcher: firings fire() accepted with "more may follow"
  std::atomic<bool> blocking{false};  // a "block" step has started
  std::atomic<int> quick_runs{0};     // "quick" steps run so far
};
World* g_world = nullptr;

ExecutorSpec spec_of(const char* kind, bool watcher = false) {
  ExecutorSpec s;
  s.kind = kind;
  s.watcher = watcher;
  ParamSpec fires;
  fires.name = "max_fires";
  fires.type = ParamType::Int;
  fires.default_value = Value(1);
  if (watcher) s.params = {fires};
  return s;
}

bool wait_stop(const StepContext& ctx, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (ctx.stop.stop_requested()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Succeeds only if all the "meet" steps run at the same time (or fails after 5 s).
class Meet final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("meet");
    return s;
  }
  Outcome run(StepContext& ctx) const override {
    ctx.output(OutputStream::Stdout, "waiting for the others");
    g_world->meet->count_down();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!g_world->meet->try_wait())
      if (std::chrono::steady_clock::now() > until) return Outcome::failed("nobody came");
    return Outcome::succeeded();
  }
};

// Runs until stopped (or 5 s): Cancelled.
class Block final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("block");
    return s;
  }
  Outcome run(StepContext& ctx) const override {
    g_world->blocking = true;
    if (!wait_stop(ctx, std::chrono::seconds(5))) return Outcome::failed("never stopped");
    Outcome o;
    o.status = Outcome::Status::Cancelled;
    o.message = "stopped";
    return o;
  }
};

class Quick final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("quick");
    return s;
  }
  Outcome run(StepContext&) const override {
    ++g_world->quick_runs;
    return Outcome::succeeded();
  }
};

// Succeeds once two "quick" steps have run (fails after 5 s).
class UntilTwoQuick final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("until-two-quick");
    return s;
  }
  Outcome run(StepContext& ctx) const override {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (g_world->quick_runs < 2) {
      if (std::chrono::steady_clock::now() > until || ctx.stop.stop_requested())
        return Outcome::failed("the triggered steps did not run");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Outcome::succeeded();
  }
};

class Throws final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("throws");
    return s;
  }
  Outcome run(StepContext&) const override { throw std::runtime_error("boom"); }
};

// A watcher that fires three times at once, then waits to be stopped.
class Firer final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s = spec_of("firer", true);
    return s;
  }
  Outcome run(StepContext& ctx) const override {
    for (int i = 0; i < 3; ++i)
      if (ctx.fire({{"n", Value(i)}})) ++g_world->fire_results;
    if (!wait_stop(ctx, std::chrono::seconds(5))) return Outcome::failed("never stopped");
    Outcome o;
    o.status = Outcome::Status::Cancelled;
    return o;
  }
};

Registry thread_registry() {
  Registry r;
  r.add(std::make_unique<Meet>());
  r.add(std::make_unique<Block>());
  r.add(std::make_unique<Quick>());
  r.add(std::make_unique<Throws>());
  r.add(std::make_unique<Firer>());
  r.add(std::make_unique<UntilTwoQuick>());
  return r;
}

struct RealRun {
  Registry reg = thread_registry();
  Diagnostics diags;
  Plan plan;
  std::optional<Graph> graph;
  VarValues vars;
  Facts facts;
  SystemRunClock clock;
  ThreadDispatcher disp;
  RecordingSink sink;
  std::unique_ptr<Scheduler> sched;

  RealRun(const std::string& steps, int jobs) {
    load_test_plan(steps, diags, plan, graph, vars);
    SchedulerOptions opt;
    opt.jobs = jobs;
    sched = std::make_unique<Scheduler>(RunInputs{plan, *graph, reg, vars, facts}, clock, disp,
                                        sink, opt);
  }
  std::string status(const std::string& id) const {
    auto s = sched->state().status_name(graph->index(id));
    return s ? *s : "-";
  }
};

}  // namespace

TEST_SUITE("scheduler_threads") {
  TEST_CASE("-j 2 runs two steps at the same time on worker threads" * doctest::timeout(20)) {
    World w;
    std::latch meet(2);
    w.meet = &meet;
    g_world = &w;
    RealRun r(R"(
[steps.a]
kind = "meet"
[steps.b]
kind = "meet"
)",
              2);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Succeeded);
    CHECK(r.sink.all<StepOutput>().size() == 2);
  }

  TEST_CASE("a watcher on its own thread fires; triggered steps run; it is stopped at the end" *
            doctest::timeout(20)) {
    World w;
    g_world = &w;
    RealRun r(R"(
[steps.a]
kind = "until-two-quick"
[steps.w]
kind = "firer"
watches = ["a"]
max_fires = 2
[steps.t]
kind = "quick"
triggered_by = "w"
)",
              2);  // a and t take the two slots; the watcher runs beside them
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Succeeded);
    CHECK(w.fire_results.load() == 1);  // 1st: more may follow; 2nd: the limit; 3rd: dropped
    CHECK(r.sink.all<WatcherFired>().size() == 2);
    CHECK(r.sched->state()[r.graph->index("t")].runs == 2);
    CHECK(r.status("a") == "succeeded"s);  // finished while the watcher ran, never stopped
    CHECK(r.status("w") == "succeeded"s);  // stopped because a settled
    CHECK(r.sched->state()[r.graph->index("w")].fired == 2);
  }

  TEST_CASE("interrupt() from another thread stops the step and runs the cleanup" *
            doctest::timeout(20)) {
    World w;
    g_world = &w;
    RealRun r(R"(
[steps.a]
kind = "block"
[steps.cleanup]
kind = "quick"
after = ["a"]
always = true
)",
              2);
    std::thread interrupter([&] {
      while (!w.blocking) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      r.sched->interrupt();
    });
    RunSummary s = r.sched->run();
    interrupter.join();
    CHECK(s.outcome == RunOutcome::Interrupted);
    CHECK(r.status("a") == "cancelled"s);
    CHECK(r.status("cleanup") == "succeeded"s);
  }

  TEST_CASE("an executor that throws fails its step instead of the process" *
            doctest::timeout(20)) {
    World w;
    g_world = &w;
    RealRun r(R"(
[steps.a]
kind = "throws"
)",
              1);
    RunSummary s = r.sched->run();
    CHECK(s.outcome == RunOutcome::Failed);
    CHECK(r.sched->state()[0].message == "internal error: boom"s);
  }

  TEST_CASE("ThreadDispatcher reuses idle workers and adds one when all are busy" *
            doctest::timeout(20)) {
    World w;
    g_world = &w;
    Quick quick;
    Block block;
    std::mutex mu;
    std::set<std::thread::id> threads;
    std::atomic<int> done{0};
    auto make = [&](int id, const Executor& ex, std::stop_source* stop = nullptr) {
      Launch l;
      l.id = id;
      l.executor = &ex;
      if (stop) l.ctx.stop = stop->get_token();
      l.done = [&](Outcome) {
        {
          std::lock_guard<std::mutex> lock(mu);
          threads.insert(std::this_thread::get_id());
        }
        ++done;
      };
      return l;
    };
    auto wait_done = [&](int n) {
      while (done < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    {
      ThreadDispatcher disp;
      for (int i = 1; i <= 5; ++i) {  // one after the other: the same worker each time
        disp.launch(make(i, quick));
        wait_done(i);
      }
      CHECK(threads.size() == 1);
      std::stop_source stop;
      disp.launch(make(6, block, &stop));  // holds the only worker
      while (!w.blocking) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      disp.launch(make(7, quick));  // needs a second worker
      wait_done(6);
      stop.request_stop();
      wait_done(7);
      CHECK(threads.size() == 2);
    }
    CHECK(w.quick_runs == 6);
  }
}
