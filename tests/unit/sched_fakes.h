// Fakes for scheduler tests: a clock that moves only when told, a dispatcher that keeps the
// launches for the test to complete by hand, a sink that records events, and a fixture that
// loads a plan from TOML text and starts a Scheduler over them. No threads, no sleeps.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "plan_loader.h"
#include "scheduler.h"

namespace ordo::testing {

// Executors that only provide a spec: the fake dispatcher never runs them.
class SpecOnly final : public Executor {
 public:
  explicit SpecOnly(ExecutorSpec s) : spec_(std::move(s)) {}
  const ExecutorSpec& spec() const override { return spec_; }
  Outcome run(StepContext&) const override { return Outcome::failed("not run in tests"); }

 private:
  ExecutorSpec spec_;
};

// "job": params msg (string) and script (shell-quoted); "watch": a watcher with max_fires.
inline ParamSpec param(std::string name, ParamType type = ParamType::String) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  return p;
}

inline Registry test_registry() {
  Registry r;
  ExecutorSpec job;
  job.kind = "job";
  ParamSpec script = param("script");
  script.shell_quoted = true;
  ParamSpec mode = param("mode");
  mode.default_value = Value("fast");
  job.params = {param("msg"), script, mode};
  r.add(std::make_unique<SpecOnly>(job));
  ExecutorSpec watch;
  watch.kind = "watch";
  watch.watcher = true;
  ParamSpec max_fires = param("max_fires", ParamType::Int);
  max_fires.default_value = Value(1);
  watch.params = {max_fires};
  r.add(std::make_unique<SpecOnly>(watch));
  return r;
}

class FakeClock final : public RunClock {
 public:
  Clock::time_point t = Clock::time_point(std::chrono::hours(100));
  Clock::time_point now() const override { return t; }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(
               t - Clock::time_point(std::chrono::hours(100)));
  }
  // Never sleeps: jumps to the deadline.
  void wait(std::condition_variable&, std::unique_lock<std::mutex>&,
            std::optional<Clock::time_point> until) override {
    ++waits;
    if (until && *until > t) t = *until;
  }
  void advance(Millis d) { t += d; }
  int waits = 0;
};

class FakeDispatcher final : public Dispatcher {
 public:
  std::vector<Launch> active;       // launched and not completed, in launch order
  std::vector<std::string> starts;  // "a#1": every launch, in order
  // When set, every launch completes at once with this function's outcome.
  std::function<Outcome(Launch&)> script;
  // When set, called first for each launch (e.g. to see what the sink had synced by then).
  std::function<void(const Launch&)> observe;

  void launch(Launch l) override {
    if (observe) observe(l);
    starts.push_back(l.ctx.step_id + "#" + std::to_string(l.ctx.attempt));
    if (script) {
      Outcome o = script(l);
      l.done(std::move(o));
      return;
    }
    active.push_back(std::move(l));
  }
  Launch* find(const std::string& step) {
    for (auto& l : active)
      if (l.ctx.step_id == step) return &l;
    return nullptr;
  }
  bool running(const std::string& step) { return find(step) != nullptr; }
  // Completes the step's active launch (REQUIRES: running(step)).
  void finish(const std::string& step, Outcome o) {
    for (size_t i = 0; i < active.size(); ++i)
      if (active[i].ctx.step_id == step) {
        auto done = active[i].done;
        active.erase(active.begin() + static_cast<long>(i));
        done(std::move(o));
        return;
      }
    FAIL("step " << step << " is not running");
  }
};

class RecordingSink final : public EventSink {
 public:
  std::vector<Event> events;
  int flushes = 0;
  std::vector<size_t> syncs;  // events.size() at each sync(): what it made durable
  std::string calls;          // 'f' per flush(), 's' per sync(), 'a' per after_launch()
  void on_event(const Event& e) override { events.push_back(e); }
  void flush() override {
    ++flushes;
    calls += 'f';
  }
  void sync() override {
    syncs.push_back(events.size());
    calls += 's';
  }
  void after_launch() override { calls += 'a'; }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (const T* b = std::get_if<T>(&e.body)) out.push_back(*b);
    return out;
  }
  template <class T>
  std::optional<T> find(const std::string& step) const {
    for (const auto& e : events)
      if (const T* b = std::get_if<T>(&e.body))
        if (b->step == step) return *b;
    return std::nullopt;
  }
};

inline Outcome ok(ValueTable outputs = {}) {
  return Outcome::succeeded(std::move(outputs));
}
inline Outcome fail(std::string msg = "exit code 1", int code = 1) {
  return Outcome::failed(std::move(msg), code);
}
inline Outcome with_status(Outcome::Status s, std::string msg = "") {
  Outcome o;
  o.status = s;
  o.message = std::move(msg);
  return o;
}

// Loads the TOML steps after a fixed [plan] header into `plan`, resolves its variables and
// builds its graph; a diagnostic fails the test (shown). Shared by the run fixtures.
inline void load_test_plan(const std::string& steps_toml, Diagnostics& diags, Plan& plan,
                           std::optional<Graph>& graph, VarValues& vars) {
  auto p = load_plan_text("[plan]\nname = \"t\"\n" + steps_toml, "test.toml", diags);
  REQUIRE(p.has_value());
  plan = std::move(*p);
  vars = resolve_vars(plan, {}, diags);
  graph = Graph::build(plan, diags);
  std::ostringstream d;
  diags.print(d);
  INFO(d.str());
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(graph.has_value());
}

// A plan (TOML steps after a fixed [plan] header) loaded, its graph built, a Scheduler started.
struct Run {
  Registry reg = test_registry();
  Diagnostics diags;
  Plan plan;
  std::optional<Graph> graph;
  VarValues vars;
  Facts facts = {{"hostname", "testhost"}, {"os_family", "debian"}};
  FakeClock clock;
  FakeDispatcher disp;
  RecordingSink sink;
  std::unique_ptr<Scheduler> sched;

  explicit Run(const std::string& steps_toml, int jobs = 4, SchedulerOptions opt = {},
               bool start_now = true) {
    load_test_plan(steps_toml, diags, plan, graph, vars);
    opt.jobs = jobs;
    opt.run_id = "test-run";
    sched = std::make_unique<Scheduler>(RunInputs{plan, *graph, reg, vars, facts}, clock, disp,
                                        sink, opt);
    if (start_now) sched->start();
  }
  Run(const Run&) = delete;

  void pump() { sched->pump(); }
  void finish(const std::string& step, Outcome o) {
    disp.finish(step, std::move(o));
    pump();
  }
  void fire(const std::string& watcher, ValueTable details = {}) {
    Launch* l = disp.find(watcher);
    REQUIRE(l != nullptr);
    l->ctx.fire(details);
    pump();
  }
  int index(const std::string& id) const { return graph->index(id); }
  const StepRun& st(const std::string& id) const { return sched->state()[index(id)]; }
  std::string status(const std::string& id) const {
    auto s = sched->state().status_name(index(id));
    return s ? *s : "-";
  }
  std::string reason(const std::string& id) const { return st(id).reason; }
  bool running(const std::string& id) { return disp.running(id); }
  bool stop_requested(const std::string& id) {
    Launch* l = disp.find(id);
    REQUIRE(l != nullptr);
    return l->ctx.stop.stop_requested();
  }
  Millis mono_now() const {
    return std::chrono::duration_cast<Millis>(clock.t - Clock::time_point(std::chrono::hours(100)));
  }
};

}  // namespace ordo::testing
