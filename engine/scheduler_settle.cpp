// Scheduler: settling steps (skips, results), failure handling, aborts and requeues (see
// scheduler_impl.h).

#include <algorithm>

#include "scheduler_impl.h"
#include "step_prepare.h"

namespace ordo {

using sched::since;

void Scheduler::Impl::settle_skip(int v, SkipKind kind, std::string reason, int cause) {
  StepRun& s = st[v];
  s.has_result = true;
  s.status = StepStatus::Skipped;
  s.skip_kind = kind;
  s.reason = reason;
  s.cause = cause;
  s.pending_triggers = 0;
  set_done(v);
  emit(StepSkipped{id(v), kind, std::move(reason), cause >= 0 ? id(cause) : ""});
  mark_unsynced(v);
  after_result(v);
  touch_dependents(v);
}

// A failure before anything ran (`when` error, interpolation error): no retry.
void Scheduler::Impl::fail_now(int v, std::string message) {
  StepRun& s = st[v];
  s.exit_code = -1;
  s.message = std::move(message);
  if (s.attempt == 0) s.attempt = 1;
  if (!s.first_start) s.first_start = clock.now();
  finish_run(v, StepStatus::Failed);
}

// One run of v ended with `status` (s.message, s.exit_code, s.outputs already set).
void Scheduler::Impl::finish_run(int v, StepStatus status) {
  StepRun& s = st[v];
  s.has_result = true;
  s.status = status;
  s.cause = status == StepStatus::Succeeded ? -1 : v;
  ++s.runs;
  s.retry_at.reset();
  Millis dur = s.first_start ? since(*s.first_start, clock.now()) : Millis(0);
  emit(StepFinished{id(v), status, std::max(1, s.attempt), s.exit_code, s.message, s.outputs, dur});
  // Outputs nobody can read again (no `when` or `${...}` names the step; the event carried
  // them to the journal and the report): ~300 bytes per step less. A failure keeps them for
  // the summary (is_refusal), a watcher for its next firing.
  if (status == StepStatus::Succeeded && !referenced[static_cast<size_t>(v)] &&
      !decl(v).is_watcher())
    ValueTable{}.swap(s.outputs);
  mark_unsynced(v);
  if (decl(v).is_triggered() && !decl(v).is_watcher()) {
    s.phase = Phase::Pending;  // may run again on the next firing; decide() settles it
    mark_dirty(v);
  } else {
    set_done(v);
  }
  after_result(v);
  touch_dependents(v);
}

// Failure bookkeeping once v has a result: fail-fast, and handlers answering failures.
void Scheduler::Impl::after_result(int v) {
  StepRun& s = st[v];
  const bool failure = s.status == StepStatus::Failed || s.status == StepStatus::TimedOut ||
                       (s.status == StepStatus::Cancelled && interrupts == 0);
  if (failure && !s.handled) {
    bool has_handler = false;
    for (int ei : in.graph.out_edges(v))
      if (edge(ei).kind == EdgeKind::OnFailure && decl(edge(ei).to).handles) has_handler = true;
    if (has_handler && s.status != StepStatus::Cancelled)
      s.awaiting_handler = true;
    else
      abort_for(v);
  }
  for (int ei : in.graph.in_edges(v))
    if (edge(ei).kind == EdgeKind::OnFailure) check_handled(edge(ei).from);
}

void Scheduler::Impl::check_handled(int x) {
  StepRun& s = st[x];
  if (!s.awaiting_handler) return;
  bool pending = false;
  for (int ei : in.graph.out_edges(x)) {
    const Edge& e = edge(ei);
    if (e.kind != EdgeKind::OnFailure || !decl(e.to).handles) continue;
    const StepRun& h = st[e.to];
    if (h.has_result && h.status == StepStatus::Succeeded) {
      s.handled = true;
      s.awaiting_handler = false;
      return;
    }
    if (h.phase != Phase::Done) pending = true;
  }
  if (pending) return;
  s.awaiting_handler = false;
  abort_for(x);
}

void Scheduler::Impl::abort_for(int x) {
  if (flags.aborting) return;
  flags.aborting = true;
  flags.abort_cause = x;
  flags.abort_reason = "the run was aborted after " + cause_text(in.graph, st, x);
  emit(RunAborting{cause_text(in.graph, st, x), id(x), interrupts});
  requeue();
}

// Queued steps go back to Pending and are decided again (under the new flags). A step
// queued for its next attempt keeps its place, unless the run was interrupted.
void Scheduler::Impl::requeue() {
  std::vector<int> keep, cancel;
  for (int v : queued) {
    if (st[v].attempt > 0) {
      (interrupts > 0 ? cancel : keep).push_back(v);
      continue;
    }
    st[v].phase = Phase::Pending;
    if (decl(v).is_triggered() && !decl(v).is_watcher()) ++st[v].pending_triggers;
  }
  queued = std::move(keep);
  std::make_heap(queued.begin(), queued.end(), heap_order());
  for (int v : cancel) cancel_retry(v);
  mark_all_dirty();
}

void Scheduler::Impl::cancel_retry(int v) {
  retrying.erase(v);
  st[v].message = "interrupted while waiting to retry (last attempt: " + st[v].message + ")";
  finish_run(v, StepStatus::Cancelled);
}

}  // namespace ordo
