#include "scheduler.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "expr.h"
#include "fingerprint.h"
#include "inbox.h"
#include "step_prepare.h"

namespace ordo {
namespace {

constexpr size_t kCaptureLimit = size_t{1} << 20;  // per stream, for `outputs` declarations

enum class StopReason { None, Deadline, WatchEnded, Interrupt };

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

Millis since(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<Millis>(b - a);
}

}  // namespace

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

struct Scheduler::Impl {
  RunInputs in;
  RunClock& clock;
  Dispatcher& disp;
  EventSink& sink;
  SchedulerOptions opt;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();

  RunState st;
  RunFlags flags;
  int interrupts = 0;

  // Per step, fixed at construction.
  std::vector<std::optional<Expr>> when;
  std::vector<std::string> when_error;
  std::vector<std::vector<int>> extra_deps, waiting_on;
  std::vector<OutputDecls> out_decls;

  // Per run.
  std::map<int, LaunchRec> launches;
  int next_launch = 1;
  int busy = 0;               // running non-watcher launches
  std::vector<int> topo_pos;  // position in Graph::topo_order(): dirty steps are decided in it
  std::vector<char> is_dirty;
  std::vector<int> dirty;
  std::vector<int> queued;
  std::set<int> retrying;
  std::vector<Launch> to_dispatch;
  size_t done_count = 0;
  Clock::time_point t0;
  Millis mono_offset{0};        // resumed runs: mono_ms continue from the earlier part
  std::vector<int> fired_base;  // watchers: firings before a resume (max_fires counts anew)
  std::vector<char> unsynced;   // steps whose end or firing was emitted after the last sync
  bool any_unsynced = false;
  int sync_count = 0;
  std::optional<Clock::time_point> next_tick;
  bool started = false, finished = false;
  RunSummary result;
  std::mt19937 rng{std::random_device{}()};

  Impl(RunInputs i, RunClock& c, Dispatcher& d, EventSink& s, SchedulerOptions o)
      : in(i), clock(c), disp(d), sink(s), opt(std::move(o)), st(i.plan.steps.size()) {
    size_t n = in.plan.steps.size();
    when.resize(n);
    when_error.resize(n);
    extra_deps.resize(n);
    waiting_on.resize(n);
    is_dirty.assign(n, 0);
    fired_base.assign(n, 0);
    unsynced.assign(n, 0);
    topo_pos.assign(n, 0);
    for (size_t k = 0; k < in.graph.topo_order().size(); ++k)
      topo_pos[static_cast<size_t>(in.graph.topo_order()[k])] = static_cast<int>(k);
    if (opt.jobs < 1) opt.jobs = 1;
    for (size_t v = 0; v < n; ++v) {
      const StepDecl& decl = in.plan.steps[v];
      out_decls.emplace_back(decl.outputs);
      std::vector<Ref> when_refs;
      if (decl.when) {
        auto e = Expr::parse(decl.when->text, decl.when->loc);
        if (e.ok()) {
          when_refs = e->refs();
          when[v] = std::move(e).value();
        } else {
          when_error[v] = e.error().str();
        }
      }
      for (const std::string& id : referenced_steps(decl, when_refs)) {
        int u = in.graph.index(id);
        if (u < 0 || u == static_cast<int>(v) || linked(static_cast<int>(v), u)) continue;
        extra_deps[v].push_back(u);
        waiting_on[static_cast<size_t>(u)].push_back(static_cast<int>(v));
      }
    }
  }

  const StepDecl& decl(int v) const { return in.plan.steps[static_cast<size_t>(v)]; }
  const std::string& id(int v) const { return in.graph.id(v); }
  const Edge& edge(int ei) const { return in.graph.edges()[static_cast<size_t>(ei)]; }

  // True if waiting for u would deadlock v: u is downstream of v, or they are a watcher and
  // a step it watches or triggers.
  bool linked(int v, int u) const {
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

  void emit(EventBody body) {
    sink.on_event(Event{clock.wall_now(), mono_offset + since(t0, clock.now()), std::move(body)});
  }

  // v's end (or a watcher's firing) was emitted: steps that depend on it wait for a sync.
  void mark_unsynced(int v) {
    unsynced[static_cast<size_t>(v)] = 1;
    any_unsynced = true;
  }

  // A launch needs a sync first if its step is not idempotent, or depends on an unsynced end.
  bool needs_sync(int v) const {
    if (!decl(v).idempotent) return true;
    if (!any_unsynced) return false;
    for (int ei : in.graph.in_edges(v))
      if (unsynced[static_cast<size_t>(edge(ei).from)]) return true;
    for (int u : extra_deps[static_cast<size_t>(v)])
      if (unsynced[static_cast<size_t>(u)]) return true;
    return false;
  }

  void sync() {
    sink.sync();
    ++sync_count;
    if (any_unsynced) std::fill(unsynced.begin(), unsynced.end(), 0);
    any_unsynced = false;
  }

  void mark_dirty(int v) {
    if (is_dirty[static_cast<size_t>(v)]) return;
    is_dirty[static_cast<size_t>(v)] = 1;
    dirty.push_back(v);
  }
  void mark_all_dirty() {
    for (size_t v = 0; v < st.size(); ++v) mark_dirty(static_cast<int>(v));
  }
  void set_done(int v) {
    if (st[v].phase != Phase::Done) ++done_count;
    st[v].phase = Phase::Done;
    st[v].end = clock.now();
  }

  // v settled (or started, for watchers): wake the steps that wait on it.
  void touch_dependents(int v) {
    for (int ei : in.graph.out_edges(v)) {
      const Edge& e = edge(ei);
      mark_dirty(e.to);
      if (e.kind == EdgeKind::Watches) check_watch_end(e.to);
    }
    for (int w : waiting_on[static_cast<size_t>(v)]) mark_dirty(w);
  }

  bool watch_over(int w) const {
    for (int ei : in.graph.in_edges(w)) {
      const Edge& e = edge(ei);
      if (e.kind == EdgeKind::Watches && !st.done(e.from)) return false;
    }
    return true;
  }

  void check_watch_end(int w) {
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

  // ---- starting steps -------------------------------------------------------------------

  void start() {
    t0 = clock.now();
    started = true;
    if (opt.resume) mono_offset = opt.resume->mono_offset;
    RunStarted rs;
    rs.run_id = opt.run_id;
    rs.plan = in.plan.name;
    rs.path = in.plan.path;
    if (auto h = in.facts.find("hostname"); h != in.facts.end()) rs.host = h->second;
    rs.jobs = opt.jobs;
    for (const StepDecl& s : in.plan.steps) rs.steps.push_back(s.id);
    for (const VarDecl& vd : in.plan.vars) {
      auto it = in.vars.find(vd.name);
      if (it == in.vars.end()) continue;
      rs.vars.emplace_back(vd.name, vd.secret ? Value("***") : it->second);
    }
    rs.digest = opt.plan_digest;
    rs.files = opt.plan_files;
    if (opt.resume) rs.resume = opt.resume->info;
    emit(std::move(rs));
    if (opt.resume) apply_seeds(*opt.resume);
    mark_all_dirty();
    schedule();
    check_finished();
  }

  // A resumed run: kept steps settle silently; interrupted steps not to be run again are
  // skipped (with an event); watchers and triggered steps carry their counts and results.
  // Seeded steps count as not started in this part, so a watcher starts with the first of its
  // watched steps that runs again.
  void apply_seeds(const ResumeSeed& seed) {
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

  void schedule() {
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
    sink.flush();  // the turn's events are out before its steps start
    std::vector<Launch> batch;
    batch.swap(to_dispatch);
    for (const Launch& l : batch)
      if (needs_sync(l.step)) {
        sync();  // one sync for the whole turn (group commit)
        break;
      }
    for (Launch& l : batch) disp.launch(std::move(l));
  }

  void evaluate(int v) {
    StepRun& s = st[v];
    if (s.phase != Phase::Pending) return;
    Decision d = decide(v, in.plan, in.graph, st, flags, extra_deps[static_cast<size_t>(v)]);
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
    if (!when_error[static_cast<size_t>(v)].empty()) {
      fail_now(v, "`when`: " + when_error[static_cast<size_t>(v)]);
      return;
    }
    if (const auto& expr = when[static_cast<size_t>(v)]) {
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
      queued.push_back(v);
  }

  void launch_ready() {
    if (queued.empty()) return;
    std::stable_sort(queued.begin(), queued.end(), [&](int a, int b) {
      int ra = in.graph.rank(a), rb = in.graph.rank(b);
      return ra != rb ? ra > rb : a < b;
    });
    while (busy < opt.jobs && !queued.empty()) {
      int v = queued.front();
      queued.erase(queued.begin());
      launch_attempt(v);
    }
  }

  void launch_attempt(int v) {
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

  // ---- settling steps -------------------------------------------------------------------

  void settle_skip(int v, SkipKind kind, std::string reason, int cause) {
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
  void fail_now(int v, std::string message) {
    StepRun& s = st[v];
    s.exit_code = -1;
    s.message = std::move(message);
    if (s.attempt == 0) s.attempt = 1;
    if (!s.first_start) s.first_start = clock.now();
    finish_run(v, StepStatus::Failed);
  }

  // One run of v ended with `status` (s.message, s.exit_code, s.outputs already set).
  void finish_run(int v, StepStatus status) {
    StepRun& s = st[v];
    s.has_result = true;
    s.status = status;
    s.cause = status == StepStatus::Succeeded ? -1 : v;
    ++s.runs;
    s.retry_at.reset();
    Millis dur = s.first_start ? since(*s.first_start, clock.now()) : Millis(0);
    emit(StepFinished{id(v), status, std::max(1, s.attempt), s.exit_code, s.message, s.outputs,
                      dur});
    mark_unsynced(v);
    if (decl(v).is_triggered() && !decl(v).is_watcher()) {
      s.phase = Phase::Pending;  // may run again on the next firing; decide() settles it
      s.end = clock.now();
      mark_dirty(v);
    } else {
      set_done(v);
    }
    after_result(v);
    touch_dependents(v);
  }

  // Failure bookkeeping once v has a result: fail-fast, and handlers answering failures.
  void after_result(int v) {
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

  void check_handled(int x) {
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

  void abort_for(int x) {
    if (flags.aborting) return;
    flags.aborting = true;
    flags.abort_cause = x;
    flags.abort_reason = "the run was aborted after " + cause_text(in.graph, st, x);
    emit(RunAborting{cause_text(in.graph, st, x), id(x), interrupts});
    requeue();
  }

  // Queued steps go back to Pending and are decided again (under the new flags). A step
  // queued for its next attempt keeps its place, unless the run was interrupted.
  void requeue() {
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
    for (int v : cancel) cancel_retry(v);
    mark_all_dirty();
  }

  void cancel_retry(int v) {
    retrying.erase(v);
    st[v].message = "interrupted while waiting to retry (last attempt: " + st[v].message + ")";
    finish_run(v, StepStatus::Cancelled);
  }

  // ---- messages -------------------------------------------------------------------------

  void handle(Message& m) {
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
        if (out_decls[static_cast<size_t>(v)].wants(m.stream)) {
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

  void on_fire(const LaunchRec& rec, ValueTable details) {
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

  void on_done(std::map<int, LaunchRec>::iterator it, Outcome o) {
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
    for (auto& w : out_decls[static_cast<size_t>(v)].extract(rec.out, rec.err, outputs))
      if (o.status == Outcome::Status::Succeeded) emit(StepWarning{id(v), std::move(w)});
    s.outputs = std::move(outputs);
    s.exit_code = o.exit_code;
    s.message = o.message;

    const bool failed =
        o.status == Outcome::Status::Failed || o.status == Outcome::Status::TimedOut;
    if (failed && s.attempt < d.retries.attempts && interrupts == 0 &&
        !(rec.watcher && watch_over(v))) {
      Millis wait = backoff_wait(d.retries, s.attempt);
      if (d.retries.jitter) wait = pick_jitter(wait / 2, wait);
      s.status = step_status_of(o.status);
      s.phase = Phase::RetryWait;
      s.retry_at = clock.now() + wait;
      retrying.insert(v);
      emit(StepRetrying{id(v), s.attempt + 1, wait, s.message,
                        o.status == Outcome::Status::TimedOut});
      return;
    }
    finish_run(v, step_status_of(o.status));
  }

  Millis pick_jitter(Millis lo, Millis hi) {
    if (opt.jitter) return std::clamp(opt.jitter(lo, hi), lo, hi);
    std::uniform_int_distribution<int64_t> dist(lo.count(), hi.count());
    return Millis(dist(rng));
  }

  void on_interrupt() {
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

  void handle_timers() {
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
      queued.push_back(v);
    }
    if (next_tick && now >= *next_tick) {
      sink.on_tick(clock.wall_now(), since(t0, now));
      next_tick = launches.empty() ? std::nullopt
                                   : std::optional<Clock::time_point>(now + opt.tick_interval);
    }
  }

  std::optional<Clock::time_point> next_timer() const {
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

  // ---- the end --------------------------------------------------------------------------

  void check_finished() {
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
  }

  // Nothing runs, nothing waits for a timer, yet steps are pending: they wait on each other
  // through `when`/`${...}` references. Decide them without those waits; references to steps
  // not yet settled then fail the step with "undefined reference".
  void break_stall() {
    for (auto& deps : extra_deps) deps.clear();
    mark_all_dirty();
    schedule();
    if (!launches.empty() || !queued.empty() || !retrying.empty()) return;
    for (size_t v = 0; v < st.size() && done_count < st.size(); ++v)
      if (st[static_cast<int>(v)].phase == Phase::Pending)
        settle_skip(static_cast<int>(v), SkipKind::NotReached,
                    "not started: its dependencies could not be resolved", -1);
  }

  RunSummary make_summary() const {
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

  void pump() {
    if (!started || finished) return;
    std::deque<Message> msgs = inbox->take();
    for (Message& m : msgs) handle(m);
    handle_timers();
    schedule();
    check_finished();
  }
};

Scheduler::Scheduler(RunInputs inputs, RunClock& clock, Dispatcher& dispatcher, EventSink& sink,
                     SchedulerOptions options)
    : impl_(std::make_unique<Impl>(inputs, clock, dispatcher, sink, std::move(options))) {}

Scheduler::~Scheduler() = default;

RunSummary Scheduler::run() {
  start();
  while (!finished()) {
    impl_->inbox->wait(impl_->clock, next_timer());
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
