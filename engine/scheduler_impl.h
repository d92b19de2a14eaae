// Scheduler::Impl: the scheduler's state and its operations, shared by the files that implement
// them by concept: scheduler.cpp (set-up, bookkeeping, the end, the public API),
// scheduler_launch.cpp (deciding and starting steps), scheduler_settle.cpp (results, failures,
// aborts), scheduler_messages.cpp (executor messages, timers). Engine-internal: include it only
// from those files. Owned by Scheduler; touched by the scheduler thread only (see scheduler.h).
#pragma once

#include <map>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "expr.h"
#include "inbox.h"
#include "scheduler.h"
#include "step_prepare.h"

namespace ordo {
namespace sched {

constexpr size_t kCaptureLimit = size_t{1} << 20;  // per stream, for `outputs` declarations

enum class StopReason { None, Deadline, WatchEnded, Interrupt };

// One running attempt (or watcher run), by launch id.
struct LaunchRec {
  int step = -1;
  int attempt = 1;
  bool watcher = false;
  int max_fires = 1;
  std::stop_source stop;
  StopReason reason = StopReason::None;
  std::optional<Clock::time_point> deadline;
  std::string out, err;  // captured for `outputs` declarations
};

inline Millis since(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<Millis>(b - a);
}

}  // namespace sched

struct Scheduler::Impl {
  using LaunchRec = sched::LaunchRec;
  using StopReason = sched::StopReason;
  static constexpr size_t kCaptureLimit = sched::kCaptureLimit;

  RunInputs in;
  RunClock& clock;
  Dispatcher& disp;
  EventSink& sink;
  SchedulerOptions opt;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();

  RunState st;
  RunFlags flags;
  int interrupts = 0;

  // Per step, fixed at construction; sparse (most steps have none of these), by step index.
  std::unordered_map<int, Expr> when;               // the parsed `when`
  std::unordered_map<int, std::string> when_error;  // `when` does not parse
  // Steps v waits for through `when`/`${...}` (extra_deps[v]) and the reverse (waiting_on[u]).
  std::unordered_map<int, std::vector<int>> extra_deps, waiting_on;
  std::unordered_map<int, OutputDecls> out_decls;  // steps with `outputs` declarations
  const std::vector<int>& deps_of(int v) const {
    static const std::vector<int> none;
    auto it = extra_deps.find(v);
    return it == extra_deps.end() ? none : it->second;
  }
  std::vector<char> referenced;  // some step's `when` or `${...}` names it: keep its outputs

  // Per run.
  std::map<int, LaunchRec> launches;
  int next_launch = 1;
  int busy = 0;               // running non-watcher launches
  std::vector<int> topo_pos;  // position in Graph::topo_order(): dirty steps are decided in it
  std::vector<char> is_dirty;
  std::vector<int> dirty;
  std::vector<int> queued;  // a heap: front() starts next (see launches_before)
  std::set<int> retrying;
  std::vector<Launch> to_dispatch;
  size_t done_count = 0;
  Clock::time_point t0;
  Millis mono_offset{0};           // resumed runs: mono_ms continue from the earlier part
  std::vector<int> fired_base;     // watchers: firings before a resume (max_fires counts anew)
  std::vector<char> unsynced;      // steps whose end or firing was emitted after the last sync
  std::vector<int> unsynced_list;  // the steps marked in `unsynced`
  bool any_unsynced = false;
  int sync_count = 0;
  std::optional<Clock::time_point> next_tick;
  bool started = false, finished = false;
  RunSummary result;
  std::mt19937 rng{std::random_device{}()};

  const StepDecl& decl(int v) const { return in.plan.steps[static_cast<size_t>(v)]; }
  const std::string& id(int v) const { return in.graph.id(v); }
  const Edge& edge(int ei) const { return in.graph.edges()[static_cast<size_t>(ei)]; }

  // The heap order of `queued`: true if b starts before a (higher Graph::rank, i.e. critical
  // path first, then declaration order). A total order, so the launch order is deterministic.
  bool launches_before(int b, int a) const {
    const int ra = in.graph.rank(a), rb = in.graph.rank(b);
    return ra != rb ? rb > ra : b < a;
  }
  auto heap_order() const {
    return [this](int a, int b) { return launches_before(b, a); };
  }

  // ---- set-up and bookkeeping (scheduler.cpp) -------------------------------
  Impl(RunInputs i, RunClock& c, Dispatcher& d, EventSink& s, SchedulerOptions o);
  bool linked(int v, int u) const;
  void emit(EventBody body);
  void mark_unsynced(int v);
  bool needs_sync(int v) const;
  void sync();
  void mark_dirty(int v);
  void mark_all_dirty();
  void set_done(int v);
  void touch_dependents(int v);
  bool watch_over(int w) const;
  void check_watch_end(int w);

  // ---- starting steps (scheduler_launch.cpp) --------------------------------
  void start();
  void apply_seeds(const ResumeSeed& seed);
  void schedule();
  void evaluate(int v);
  void enqueue(int v);
  void launch_ready();
  void launch_attempt(int v);

  // ---- settling steps (scheduler_settle.cpp) --------------------------------
  void settle_skip(int v, SkipKind kind, std::string reason, int cause);
  void fail_now(int v, std::string message);
  void finish_run(int v, StepStatus status);
  void after_result(int v);
  void check_handled(int x);
  void abort_for(int x);
  void requeue();
  void cancel_retry(int v);

  // ---- messages and timers (scheduler_messages.cpp) -------------------------
  void handle(Message& m);
  void on_fire(const LaunchRec& rec, ValueTable details);
  void on_done(std::map<int, LaunchRec>::iterator it, Outcome o);
  Millis pick_jitter(Millis lo, Millis hi);
  void on_interrupt();
  void handle_timers();
  std::optional<Clock::time_point> next_timer() const;

  // ---- the end (scheduler.cpp) ----------------------------------------------
  void check_finished();
  void break_stall();
  RunSummary make_summary() const;
  void pump();
};

}  // namespace ordo
