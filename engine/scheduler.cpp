// Scheduler: set-up, bookkeeping shared by the other parts, the end of a run, and the public
// API (scheduler.h). The other parts: scheduler_launch.cpp, scheduler_settle.cpp,
// scheduler_messages.cpp (see scheduler_impl.h).

#include "scheduler.h"

#include <algorithm>

#include "scheduler_impl.h"
#include "step_prepare.h"

namespace ordo {

using sched::since;

bool is_refusal(const ValueTable& outputs) {
  if (const Value* r = find_output(outputs, "refused"))
    return (r->is_bool() && r->as_bool()) || (r->is_string() && r->as_string() == "true");
  const Value* answer = find_output(outputs, "answer");
  return answer && answer->is_string() && answer->as_string() == "no";
}

Millis backoff_wait(const RetryPolicy& p, int retry) {
  Millis w = p.backoff;
  for (int i = 1; i < retry && w < p.max_backoff; ++i) w *= 2;
  return std::min(w, p.max_backoff);
}

Scheduler::Impl::Impl(RunInputs i, RunClock& c, Dispatcher& d, EventSink& s, SchedulerOptions o)
    : in(i), clock(c), disp(d), sink(s), opt(std::move(o)), st(i.plan.steps.size()) {
  size_t n = in.plan.steps.size();
  is_dirty.assign(n, 0);
  fired_base.assign(n, 0);
  unsynced.assign(n, 0);
  topo_pos.assign(n, 0);
  referenced.assign(n, 0);
  for (size_t k = 0; k < in.graph.topo_order().size(); ++k)
    topo_pos[static_cast<size_t>(in.graph.topo_order()[k])] = static_cast<int>(k);
  if (opt.jobs < 1) opt.jobs = 1;
  for (size_t v = 0; v < n; ++v) {
    const StepDecl& decl = in.plan.steps[v];
    if (!decl.outputs.empty()) out_decls.emplace(static_cast<int>(v), OutputDecls(decl.outputs));
    std::vector<Ref> when_refs;
    if (decl.when) {
      auto e = Expr::parse(decl.when->text, decl.when->loc);
      if (e.ok()) {
        when_refs = e->refs();
        when.emplace(static_cast<int>(v), std::move(e).value());
      } else {
        when_error.emplace(static_cast<int>(v), e.error().str());
      }
    }
    for (const std::string& id : referenced_steps(decl, when_refs)) {
      int u = in.graph.index(id);
      if (u >= 0) referenced[static_cast<size_t>(u)] = 1;
      if (u < 0 || u == static_cast<int>(v) || linked(static_cast<int>(v), u)) continue;
      extra_deps[static_cast<int>(v)].push_back(u);
      waiting_on[u].push_back(static_cast<int>(v));
    }
  }
}

// True if waiting for u would deadlock v: u is downstream of v, or they are a watcher and
// a step it watches or triggers.
bool Scheduler::Impl::linked(int v, int u) const {
  for (int ei : in.graph.in_edges(v)) {
    const Edge& e = edge(ei);
    if (e.from == u && (e.kind == EdgeKind::Watches || e.kind == EdgeKind::TriggeredBy))
      return true;
  }
  std::vector<char> seen(in.graph.size(), 0);
  std::vector<int> stack = {v};
  while (!stack.empty()) {
    int x = stack.back();
    stack.pop_back();
    for (int ei : in.graph.out_edges(x)) {
      int y = edge(ei).to;
      if (y == u) return true;
      if (!seen[static_cast<size_t>(y)]) {
        seen[static_cast<size_t>(y)] = 1;
        stack.push_back(y);
      }
    }
  }
  return false;
}

void Scheduler::Impl::emit(EventBody body) {
  sink.on_event(Event{clock.wall_now(), mono_offset + since(t0, clock.now()), std::move(body)});
}

// v's end (or a watcher's firing) was emitted: steps that depend on it wait for a sync.
void Scheduler::Impl::mark_unsynced(int v) {
  if (!unsynced[static_cast<size_t>(v)]) unsynced_list.push_back(v);
  unsynced[static_cast<size_t>(v)] = 1;
  any_unsynced = true;
}

// A launch needs a sync first if its step is not idempotent, or depends on an unsynced end.
bool Scheduler::Impl::needs_sync(int v) const {
  if (!decl(v).idempotent) return true;
  if (!any_unsynced) return false;
  for (int ei : in.graph.in_edges(v))
    if (unsynced[static_cast<size_t>(edge(ei).from)]) return true;
  for (int u : deps_of(v))
    if (unsynced[static_cast<size_t>(u)]) return true;
  return false;
}

void Scheduler::Impl::sync() {
  sink.sync();
  ++sync_count;
  for (int v : unsynced_list) unsynced[static_cast<size_t>(v)] = 0;
  unsynced_list.clear();
  any_unsynced = false;
}

void Scheduler::Impl::mark_dirty(int v) {
  if (is_dirty[static_cast<size_t>(v)]) return;
  is_dirty[static_cast<size_t>(v)] = 1;
  dirty.push_back(v);
}

void Scheduler::Impl::mark_all_dirty() {
  for (size_t v = 0; v < st.size(); ++v) mark_dirty(static_cast<int>(v));
}

void Scheduler::Impl::set_done(int v) {
  if (st[v].phase != Phase::Done) ++done_count;
  st[v].phase = Phase::Done;
}

// v settled (or started, for watchers): wake the steps that wait on it.
void Scheduler::Impl::touch_dependents(int v) {
  for (int ei : in.graph.out_edges(v)) {
    const Edge& e = edge(ei);
    mark_dirty(e.to);
    if (e.kind == EdgeKind::Watches) check_watch_end(e.to);
  }
  if (auto it = waiting_on.find(v); it != waiting_on.end())
    for (int w : it->second) mark_dirty(w);
}

bool Scheduler::Impl::watch_over(int w) const {
  for (int ei : in.graph.in_edges(w)) {
    const Edge& e = edge(ei);
    if (e.kind == EdgeKind::Watches && !st.done(e.from)) return false;
  }
  return true;
}

void Scheduler::Impl::check_watch_end(int w) {
  if (!watch_over(w)) return;
  for (auto& [lid, rec] : launches)
    if (rec.step == w && rec.reason == StopReason::None) {
      rec.reason = StopReason::WatchEnded;
      rec.stop.request_stop();
    }
  if (st[w].phase == Phase::RetryWait) {
    retrying.erase(w);
    finish_run(w, st[w].status == StepStatus::Skipped ? StepStatus::Failed : st[w].status);
  }
}

void Scheduler::Impl::check_finished() {
  if (finished || !started || !launches.empty() || !to_dispatch.empty()) return;
  if (done_count < st.size()) {
    if (!retrying.empty() || !queued.empty()) return;
    break_stall();
    if (done_count < st.size()) return;
  }
  finished = true;
  result = make_summary();
  std::vector<std::string> roots;
  for (int v : result.root_causes) roots.push_back(id(v));
  emit(RunFinished{result.outcome, result.counts, std::move(roots), result.duration});
  sink.flush();
  sync();
  sink.after_launch();
}

// Nothing runs, nothing waits for a timer, yet steps are pending: they wait on each other
// through `when`/`${...}` references. Decide them without those waits; references to steps
// not yet settled then fail the step with "undefined reference".
void Scheduler::Impl::break_stall() {
  extra_deps.clear();
  mark_all_dirty();
  schedule();
  if (!launches.empty() || !queued.empty() || !retrying.empty()) return;
  for (size_t v = 0; v < st.size() && done_count < st.size(); ++v)
    if (st[static_cast<int>(v)].phase == Phase::Pending)
      settle_skip(static_cast<int>(v), SkipKind::NotReached,
                  "not started: its dependencies could not be resolved", -1);
}

RunSummary Scheduler::Impl::make_summary() const {
  RunSummary r;
  r.counts = st.counts();
  r.duration = mono_offset + since(t0, clock.now());
  bool all_refusals = true;
  for (size_t i = 0; i < st.size(); ++i) {
    int v = static_cast<int>(i);
    const StepRun& s = st[v];
    bool unhandled = s.phase == Phase::Done && !s.handled &&
                     (s.status == StepStatus::Failed || s.status == StepStatus::TimedOut ||
                      (s.status == StepStatus::Cancelled && interrupts == 0));
    if (!unhandled) continue;
    r.root_causes.push_back(v);
    if (!(s.status == StepStatus::Failed && is_refusal(s.outputs))) all_refusals = false;
  }
  if (interrupts > 0)
    r.outcome = RunOutcome::Interrupted;
  else if (r.root_causes.empty())
    r.outcome = RunOutcome::Succeeded;
  else
    r.outcome = all_refusals ? RunOutcome::Refused : RunOutcome::Failed;
  return r;
}

void Scheduler::Impl::pump() {
  if (!started || finished) return;
  std::deque<Message> msgs = inbox->take();
  for (Message& m : msgs) handle(m);
  handle_timers();
  schedule();
  check_finished();
}

Scheduler::Scheduler(RunInputs inputs, RunClock& clock, Dispatcher& dispatcher, EventSink& sink,
                     SchedulerOptions options)
    : impl_(std::make_unique<Impl>(inputs, clock, dispatcher, sink, std::move(options))) {}

Scheduler::~Scheduler() = default;

RunSummary Scheduler::run() {
  start();
  while (!finished()) {
    impl_->disp.wait(*impl_->inbox, impl_->clock, next_timer());
    pump();
  }
  return summary();
}

void Scheduler::interrupt() {
  Message m;
  m.kind = Message::Kind::Interrupt;
  impl_->inbox->post(std::move(m));
}

void Scheduler::start() {
  if (!impl_->started) impl_->start();
}
void Scheduler::pump() {
  impl_->pump();
}
bool Scheduler::finished() const {
  return impl_->finished;
}
std::optional<Clock::time_point> Scheduler::next_timer() const {
  return impl_->next_timer();
}
const RunState& Scheduler::state() const {
  return impl_->st;
}
int Scheduler::syncs() const {
  return impl_->sync_count;
}
RunSummary Scheduler::summary() const {
  return impl_->finished ? impl_->result : impl_->make_summary();
}

}  // namespace ordo
