// Scheduler: deciding pending steps and starting the ready ones (see scheduler_impl.h).

#include <algorithm>

#include "fingerprint.h"
#include "scheduler_impl.h"
#include "step_prepare.h"

namespace ordo {

using sched::since;

void Scheduler::Impl::start() {
  t0 = clock.now();
  started = true;
  if (opt.resume) mono_offset = opt.resume->mono_offset;
  RunStarted rs;
  rs.run_id = opt.run_id;
  rs.plan = in.plan.name;
  rs.path = in.plan.path;
  if (auto h = in.facts.find("hostname"); h != in.facts.end()) rs.host = h->second;
  rs.jobs = opt.jobs;
  rs.steps.reserve(in.plan.steps.size());
  for (const StepDecl& s : in.plan.steps) rs.steps.push_back(s.id);
  for (const VarDecl& vd : in.plan.vars) {
    auto it = in.vars.find(vd.name);
    if (it == in.vars.end()) continue;
    rs.vars.emplace_back(vd.name, vd.secret ? Value("***") : it->second);
  }
  rs.digest = opt.plan_digest;
  rs.files = opt.plan_files;
  if (opt.resume) rs.resume = opt.resume->info;
  rs.only_tags = opt.only_tags;
  rs.skip_tags = opt.skip_tags;
  emit(std::move(rs));
  if (opt.resume) apply_seeds(*opt.resume);
  for (size_t i = 0; i < opt.unselected.size() && i < st.size(); ++i)
    if (!opt.unselected[i].empty() && st[static_cast<int>(i)].phase != Phase::Done)
      settle_skip(static_cast<int>(i), SkipKind::NotApplicable, opt.unselected[i], -1);
  mark_all_dirty();
  schedule();
  check_finished();
}

// A resumed run: kept steps settle silently; interrupted steps not to be run again are
// skipped (with an event); watchers and triggered steps carry their counts and results.
// Seeded steps count as not started in this part, so a watcher starts with the first of its
// watched steps that runs again.
void Scheduler::Impl::apply_seeds(const ResumeSeed& seed) {
  const size_t n = std::min(seed.steps.size(), st.size());
  for (size_t i = 0; i < n; ++i) {
    const StepSeed& sd = seed.steps[i];
    const int v = static_cast<int>(i);
    StepRun& s = st[v];
    s.fired = sd.fired;
    fired_base[i] = sd.fired;
    s.runs = sd.runs;
    s.pending_triggers = sd.pending_triggers;
    if (sd.has_result || sd.start == StepSeed::Start::Kept) {
      s.has_result = true;
      s.status = sd.status;
      s.skip_kind = sd.skip_kind;
      s.reason = sd.reason;
      s.exit_code = sd.exit_code;
      s.message = sd.message;
      s.outputs = sd.outputs;
    }
    if (sd.start == StepSeed::Start::Kept) set_done(v);
  }
  for (size_t i = 0; i < n; ++i)
    if (seed.steps[i].start == StepSeed::Start::Skip)
      settle_skip(static_cast<int>(i), SkipKind::NotApplicable, seed.steps[i].reason, -1);
}

void Scheduler::Impl::schedule() {
  for (;;) {
    while (!dirty.empty()) {
      std::vector<int> batch;
      batch.swap(dirty);
      // Upstream first, so a skip's reason names the nearest settled cause.
      std::sort(batch.begin(), batch.end(), [&](int a, int b) {
        return topo_pos[static_cast<size_t>(a)] < topo_pos[static_cast<size_t>(b)];
      });
      for (int v : batch) is_dirty[static_cast<size_t>(v)] = 0;
      for (int v : batch) evaluate(v);
    }
    launch_ready();
    if (dirty.empty()) break;
  }
  if (!launches.empty() && opt.tick_interval > Millis(0) && !next_tick)
    next_tick = clock.now() + opt.tick_interval;
  std::vector<Launch> batch;
  batch.swap(to_dispatch);
  for (const Launch& l : batch)
    if (needs_sync(l.step)) {
      // One sync for the whole turn (group commit), before the other sinks touch the disk: a
      // step log created while the fdatasync runs holds up the file system's commit it waits
      // for (tests/bench/README.md, "Journal cost").
      sync();
      break;
    }
  sink.flush();  // the turn's records are written before its steps start
  for (Launch& l : batch) disp.launch(std::move(l));
  sink.after_launch();  // console and logs: while the steps run
}

void Scheduler::Impl::evaluate(int v) {
  StepRun& s = st[v];
  if (s.phase != Phase::Pending) return;
  Decision d = decide(v, in.plan, in.graph, st, flags, deps_of(v));
  switch (d.kind) {
    case Decision::Kind::Wait:
      return;
    case Decision::Kind::Skip:
      settle_skip(v, d.skip, d.reason, d.cause);
      return;
    case Decision::Kind::Settle:
      s.pending_triggers = 0;
      set_done(v);
      touch_dependents(v);
      return;
    case Decision::Kind::Run:
      break;
  }
  const bool triggered = decl(v).is_triggered() && !decl(v).is_watcher();
  s.attempt = 0;
  s.first_start.reset();
  if (triggered) --s.pending_triggers;
  if (auto err = when_error.find(v); err != when_error.end()) {
    fail_now(v, "`when`: " + err->second);
    return;
  }
  if (auto it = when.find(v); it != when.end()) {
    const Expr* expr = &it->second;
    RunScope scope(in.vars, in.facts, in.graph, st);
    auto r = expr->eval_bool(scope);
    if (!r.ok()) {
      fail_now(v, "`when = \"" + expr->text() + "\"`: " + r.error().message);
      return;
    }
    if (!r.value()) {
      std::string reason = "condition false (" + expr->text() + ")";
      if (triggered) {
        s.last_skip_reason = reason;
        mark_dirty(v);
      } else {
        settle_skip(v, SkipKind::NotApplicable, reason, -1);
      }
      return;
    }
  }
  s.phase = Phase::Queued;
  if (decl(v).is_watcher())
    launch_attempt(v);
  else
    enqueue(v);
}

void Scheduler::Impl::enqueue(int v) {
  queued.push_back(v);
  std::push_heap(queued.begin(), queued.end(), heap_order());
}

void Scheduler::Impl::launch_ready() {
  while (busy < opt.jobs && !queued.empty()) {
    std::pop_heap(queued.begin(), queued.end(), heap_order());
    const int v = queued.back();
    queued.pop_back();
    launch_attempt(v);
  }
}

void Scheduler::Impl::launch_attempt(int v) {
  StepRun& s = st[v];
  const StepDecl& d = decl(v);
  const Executor* ex = in.registry.find(d.kind);
  if (!ex) {
    fail_now(v, "unknown kind '" + d.kind + "'");
    return;
  }
  RunScope scope(in.vars, in.facts, in.graph, st);
  auto prep = prepare_step(d, *ex, scope);
  if (!prep.ok()) {
    fail_now(v, prep.error().str());
    return;
  }
  const Clock::time_point now = clock.now();
  ++s.attempt;
  s.phase = Phase::Running;
  s.started = true;
  if (!s.first_start) s.first_start = now;
  s.retry_at.reset();

  const int lid = next_launch++;
  LaunchRec rec;
  rec.step = v;
  rec.attempt = s.attempt;
  rec.watcher = d.is_watcher();
  rec.max_fires = prep->max_fires;
  if (d.timeout) rec.deadline = now + *d.timeout;

  Launch l;
  l.id = lid;
  l.step = v;
  l.executor = ex;
  StepContext& ctx = l.ctx;
  ctx.step_id = d.id;
  ctx.kind = d.kind;
  ctx.attempt = s.attempt;
  ctx.stop = rec.stop.get_token();
  ctx.deadline = rec.deadline;
  ctx.kill_grace = d.kill_grace;
  ctx.assume_yes = opt.assume_yes;
  ctx.interactive = opt.interactive;
  std::string fp = step_fingerprint(d, *prep, opt.fingerprint_salt);
  ctx.params = std::move(prep->params);
  ctx.run_as = std::move(prep->run_as);
  connect_launch(l, inbox, rec.watcher, s.fired - fired_base[static_cast<size_t>(v)],
                 rec.max_fires);
  launches.emplace(lid, std::move(rec));
  if (!d.is_watcher()) ++busy;
  emit(StepStarted{d.id, s.attempt, d.is_watcher(), d.kind, std::move(fp)});
  to_dispatch.push_back(std::move(l));
  touch_dependents(v);  // watchers of v may start now
}

}  // namespace ordo
