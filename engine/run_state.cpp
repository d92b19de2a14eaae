#include "run_state.h"

namespace ordo {

bool RunState::is_failure(int v) const {
  const StepRun& s = (*this)[v];
  return s.phase == Phase::Done &&
         (s.status == StepStatus::Failed || s.status == StepStatus::TimedOut ||
          s.status == StepStatus::Cancelled);
}

bool RunState::blocks(int v) const {
  const StepRun& s = (*this)[v];
  if (s.phase != Phase::Done) return false;
  if (s.status == StepStatus::Skipped) return s.skip_kind != SkipKind::NotApplicable;
  return s.status != StepStatus::Succeeded;
}

std::optional<std::string> RunState::status_name(int v) const {
  const StepRun& s = (*this)[v];
  if (s.phase != Phase::Done && !s.has_result) return std::nullopt;
  return std::string(step_status_name(s.status));
}

StepCounts RunState::counts() const {
  StepCounts c;
  for (const StepRun& s : steps_) {
    if (s.phase != Phase::Done) continue;
    switch (s.status) {
      case StepStatus::Succeeded:
        ++c.succeeded;
        break;
      case StepStatus::Failed:
        ++c.failed;
        break;
      case StepStatus::TimedOut:
        ++c.timed_out;
        break;
      case StepStatus::Cancelled:
        ++c.cancelled;
        break;
      case StepStatus::Skipped:
        ++c.skipped;
        if (s.skip_kind == SkipKind::NotApplicable) ++c.not_applicable;
        if (s.skip_kind == SkipKind::Blocked) ++c.blocked;
        if (s.skip_kind == SkipKind::NotReached) ++c.not_reached;
        break;
    }
  }
  return c;
}

std::string cause_text(const Graph& graph, const RunState& state, int cause) {
  if (cause < 0) return "an earlier failure";
  const std::string& id = graph.id(cause);
  switch (state[cause].status) {
    case StepStatus::TimedOut:
      return id + " timed out";
    case StepStatus::Cancelled:
      return id + " was cancelled";
    default:
      return id + " failed";
  }
}

namespace {

Decision skip(SkipKind kind, std::string reason, int cause = -1) {
  Decision d;
  d.kind = Decision::Kind::Skip;
  d.skip = kind;
  d.reason = std::move(reason);
  d.cause = cause;
  return d;
}

Decision wait() {
  return Decision{};
}

Decision run() {
  Decision d;
  d.kind = Decision::Kind::Run;
  return d;
}

Decision settle() {
  Decision d;
  d.kind = Decision::Kind::Settle;
  return d;
}

Decision not_reached(const RunFlags& f) {
  if (f.cleanup_skipped)
    return skip(SkipKind::NotReached, "not started: cleanup skipped after a second interrupt",
                f.abort_cause);
  return skip(SkipKind::NotReached, "not started: " + f.abort_reason, f.abort_cause);
}

// B is blocked by its requirement `a` (which blocks()).
Decision blocked_by(const Graph& g, const RunState& s, int a) {
  const StepRun& r = s[a];
  const std::string& id = g.id(a);
  switch (r.status) {
    case StepStatus::Failed:
      return skip(SkipKind::Blocked, "requires " + id + ", which failed", a);
    case StepStatus::TimedOut:
      return skip(SkipKind::Blocked, "requires " + id + ", which timed out", a);
    case StepStatus::Cancelled:
      return skip(SkipKind::Blocked, "requires " + id + ", which was cancelled", a);
    default:
      break;
  }
  if (r.skip_kind == SkipKind::NotReached) {
    std::string why = r.reason.rfind("not started: ", 0) == 0 ? r.reason.substr(13) : r.reason;
    return skip(SkipKind::Blocked, "requires " + id + ", which was not started (" + why + ")",
                r.cause);
  }
  return skip(SkipKind::Blocked,
              "requires " + id + ", which was skipped because " + cause_text(g, s, r.cause),
              r.cause);
}

}  // namespace

Decision decide(int v, const Plan& plan, const Graph& g, const RunState& s, const RunFlags& f,
                const std::vector<int>& extra_deps) {
  const StepDecl& decl = plan.steps[static_cast<size_t>(v)];
  const StepRun& me = s[v];

  bool deps_done = true;  // requires, after, on_failure and extra deps all settled
  std::optional<Decision> blocked;
  bool is_handler = false, handler_needed = false;
  std::vector<int> watched, watchers;
  for (int ei : g.in_edges(v)) {
    const Edge& e = g.edges()[static_cast<size_t>(ei)];
    switch (e.kind) {
      case EdgeKind::Requires:
        if (!s.done(e.from))
          deps_done = false;
        else if (!blocked && s.blocks(e.from))
          blocked = blocked_by(g, s, e.from);
        break;
      case EdgeKind::After:
        if (!s.done(e.from)) deps_done = false;
        break;
      case EdgeKind::OnFailure:
        is_handler = true;
        if (!s.done(e.from))
          deps_done = false;
        else if (s[e.from].status == StepStatus::Failed || s[e.from].status == StepStatus::TimedOut)
          handler_needed = true;
        break;
      case EdgeKind::Watches:
        watched.push_back(e.from);
        break;
      case EdgeKind::TriggeredBy:
        watchers.push_back(e.from);
        break;
    }
  }
  for (int u : extra_deps)
    if (!s.done(u)) deps_done = false;

  if (f.cleanup_skipped) return me.runs > 0 ? settle() : not_reached(f);

  // A watcher: starts beside the first watched step, never after they all settled.
  if (!watched.empty()) {
    if (blocked) return *blocked;
    bool any_started = false, all_done = true;
    for (int a : watched) {
      any_started = any_started || s[a].started;
      all_done = all_done && s.done(a);
    }
    if (all_done)
      return skip(SkipKind::NotApplicable, any_started
                                               ? "the watched steps finished before it could start"
                                               : "none of the watched steps ran");
    if (f.aborting && !decl.always) return not_reached(f);
    if (!any_started || !deps_done) return wait();
    return run();
  }

  // A triggered step: runs once per firing; settles when its watchers are done. While the
  // run aborts, a firing it can no longer answer makes it NotReached; never fired is still
  // "not triggered".
  if (!watchers.empty()) {
    if (blocked && me.runs == 0) return *blocked;
    if (me.pending_triggers > 0) {
      if (f.aborting && !decl.always) return me.runs > 0 ? settle() : not_reached(f);
      return deps_done ? run() : wait();
    }
    for (int w : watchers)
      if (!s.done(w)) return wait();
    if (me.runs > 0) return settle();
    return skip(SkipKind::NotApplicable,
                me.last_skip_reason.empty() ? "not triggered" : me.last_skip_reason);
  }

  if (decl.always) return deps_done ? run() : wait();

  if (blocked) return *blocked;
  if (f.aborting && !is_handler) return not_reached(f);
  if (!deps_done) return wait();
  if (is_handler && !handler_needed) return skip(SkipKind::NotApplicable, "not needed");
  return run();
}

const Value* find_output(const ValueTable& outputs, std::string_view name) {
  if (const Value* v = table_find(outputs, name)) return v;
  size_t dot = name.find('.');
  while (dot != std::string_view::npos) {
    if (const Value* head = table_find(outputs, name.substr(0, dot)); head && head->is_table())
      if (const Value* v = find_output(head->as_table(), name.substr(dot + 1))) return v;
    dot = name.find('.', dot + 1);
  }
  return nullptr;
}

std::optional<Value> RunScope::lookup(const Ref& ref) const {
  switch (ref.kind) {
    case Ref::Kind::Var: {
      auto it = vars_.find(ref.name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    }
    case Ref::Kind::Fact: {
      auto it = facts_.find(ref.name);
      if (it == facts_.end()) return std::nullopt;
      return Value(it->second);
    }
    case Ref::Kind::StepStatus:
    case Ref::Kind::StepFired:
    case Ref::Kind::StepOutput:
      break;
  }
  int v = graph_.index(ref.step);
  if (v < 0) return std::nullopt;
  if (ref.kind == Ref::Kind::StepFired) return Value(int64_t{state_[v].fired});
  if (ref.kind == Ref::Kind::StepStatus) {
    auto st = state_.status_name(v);
    if (!st) return std::nullopt;
    return Value(*st);
  }
  if (const Value* out = find_output(state_[v].outputs, ref.name)) return *out;
  return std::nullopt;
}

}  // namespace ordo
