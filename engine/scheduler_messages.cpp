// Scheduler: what executors post (output, warnings, firings, outcomes), interrupts, and timers
// (deadlines, retries, ticks) (see scheduler_impl.h).

#include <algorithm>

#include "scheduler_impl.h"
#include "step_prepare.h"

namespace ordo {

using sched::since;

void Scheduler::Impl::handle(Message& m) {
  if (m.kind == Message::Kind::Interrupt) {
    on_interrupt();
    return;
  }
  auto it = launches.find(m.launch);
  if (it == launches.end()) return;
  LaunchRec& rec = it->second;
  const int v = rec.step;
  switch (m.kind) {
    case Message::Kind::Output: {
      if (auto od = out_decls.find(v); od != out_decls.end() && od->second.wants(m.stream)) {
        std::string& buf = m.stream == OutputStream::Stderr ? rec.err : rec.out;
        if (buf.size() < kCaptureLimit) buf.append(m.text).append("\n");
      }
      emit(StepOutput{id(v), m.stream, std::move(m.text)});
      break;
    }
    case Message::Kind::Warn:
      emit(StepWarning{id(v), std::move(m.text)});
      break;
    case Message::Kind::Fire:
      on_fire(rec, std::move(m.details));
      break;
    case Message::Kind::Done:
      on_done(it, std::move(m.outcome));
      break;
    case Message::Kind::Interrupt:
      break;
  }
}

void Scheduler::Impl::on_fire(const LaunchRec& rec, ValueTable details) {
  const int w = rec.step;
  StepRun& s = st[w];
  if (s.fired - fired_base[static_cast<size_t>(w)] >= rec.max_fires) return;
  ++s.fired;
  for (const auto& [k, val] : details) table_put(s.outputs, k, val);
  WatcherFired ev{id(w), s.fired, std::move(details), {}};
  for (int ei : in.graph.out_edges(w)) {
    const Edge& e = edge(ei);
    if (e.kind != EdgeKind::TriggeredBy || st.done(e.to)) continue;
    ++st[e.to].pending_triggers;  // while aborting: decide() makes it NotReached
    mark_dirty(e.to);
    if (!flags.aborting || decl(e.to).always) ev.triggers.push_back(id(e.to));
  }
  emit(std::move(ev));
  mark_unsynced(w);
}

void Scheduler::Impl::on_done(std::map<int, LaunchRec>::iterator it, Outcome o) {
  LaunchRec rec = std::move(it->second);
  const int lid = it->first;
  launches.erase(it);
  disp.reap(lid);
  if (launches.empty()) next_tick.reset();
  const int v = rec.step;
  if (!rec.watcher) --busy;
  StepRun& s = st[v];
  const StepDecl& d = decl(v);

  if (o.status == Outcome::Status::Cancelled && rec.reason == StopReason::Deadline)
    o.status = Outcome::Status::TimedOut;
  if (o.status == Outcome::Status::Cancelled && rec.reason == StopReason::WatchEnded)
    o.status = Outcome::Status::Succeeded;
  if (o.status == Outcome::Status::TimedOut && o.message.empty() && d.timeout)
    o.message = "timed out after " + format_duration(*d.timeout);
  if (o.status == Outcome::Status::Cancelled && o.message.empty()) o.message = "cancelled";

  ValueTable outputs = rec.watcher ? s.outputs : ValueTable{};
  for (auto& [k, val] : o.outputs) table_put(outputs, k, std::move(val));
  if (auto od = out_decls.find(v); od != out_decls.end())
    for (auto& w : od->second.extract(rec.out, rec.err, outputs))
      if (o.status == Outcome::Status::Succeeded) emit(StepWarning{id(v), std::move(w)});
  s.outputs = std::move(outputs);
  s.exit_code = o.exit_code;
  s.message = o.message;

  const bool failed = o.status == Outcome::Status::Failed || o.status == Outcome::Status::TimedOut;
  if (failed && s.attempt < d.retries.attempts && interrupts == 0 &&
      !(rec.watcher && watch_over(v))) {
    Millis wait = backoff_wait(d.retries, s.attempt);
    if (d.retries.jitter) wait = pick_jitter(wait / 2, wait);
    s.status = step_status_of(o.status);
    s.phase = Phase::RetryWait;
    s.retry_at = clock.now() + wait;
    retrying.insert(v);
    emit(
        StepRetrying{id(v), s.attempt + 1, wait, s.message, o.status == Outcome::Status::TimedOut});
    return;
  }
  finish_run(v, step_status_of(o.status));
}

Millis Scheduler::Impl::pick_jitter(Millis lo, Millis hi) {
  if (opt.jitter) return std::clamp(opt.jitter(lo, hi), lo, hi);
  std::uniform_int_distribution<int64_t> dist(lo.count(), hi.count());
  return Millis(dist(rng));
}

void Scheduler::Impl::on_interrupt() {
  ++interrupts;
  if (finished) return;
  if (interrupts == 1) {
    if (!flags.aborting) {
      flags.aborting = true;
      flags.abort_reason = "interrupted";
    }
    emit(RunAborting{"interrupted: stopping running steps, then running cleanup steps", "", 1});
  } else {
    flags.cleanup_skipped = true;
    emit(RunAborting{"interrupted again: skipping cleanup", "", interrupts});
  }
  for (auto& [lid, rec] : launches) {
    if (rec.reason == StopReason::None) rec.reason = StopReason::Interrupt;
    rec.stop.request_stop();
  }
  for (int v : std::vector<int>(retrying.begin(), retrying.end())) cancel_retry(v);
  requeue();
}

void Scheduler::Impl::handle_timers() {
  const Clock::time_point now = clock.now();
  for (auto& [lid, rec] : launches)
    if (rec.deadline && rec.reason == StopReason::None && now >= *rec.deadline) {
      rec.reason = StopReason::Deadline;
      rec.stop.request_stop();
    }
  for (int v : std::vector<int>(retrying.begin(), retrying.end())) {
    if (st[v].retry_at && now < *st[v].retry_at) continue;
    retrying.erase(v);
    st[v].phase = Phase::Queued;
    enqueue(v);
  }
  if (next_tick && now >= *next_tick) {
    sink.on_tick(clock.wall_now(), since(t0, now));
    next_tick =
        launches.empty() ? std::nullopt : std::optional<Clock::time_point>(now + opt.tick_interval);
  }
}

std::optional<Clock::time_point> Scheduler::Impl::next_timer() const {
  std::optional<Clock::time_point> t;
  auto consider = [&](Clock::time_point x) {
    if (!t || x < *t) t = x;
  };
  for (const auto& [lid, rec] : launches)
    if (rec.deadline && rec.reason == StopReason::None) consider(*rec.deadline);
  for (int v : retrying)
    if (st[v].retry_at) consider(*st[v].retry_at);
  if (next_tick) consider(*next_tick);
  return t;
}

}  // namespace ordo
