#include "resume.h"

#include <algorithm>

#include "expr.h"
#include "fingerprint.h"
#include "step_prepare.h"

namespace ordo {
namespace {

using Action = StepResume::Action;

std::optional<StepStatus> finished_status(StepState s) {
  switch (s) {
    case StepState::Succeeded:
      return StepStatus::Succeeded;
    case StepState::Failed:
      return StepStatus::Failed;
    case StepState::TimedOut:
      return StepStatus::TimedOut;
    case StepState::Cancelled:
      return StepStatus::Cancelled;
    case StepState::Skipped:
      return StepStatus::Skipped;
    default:
      return std::nullopt;
  }
}

class Planner {
 public:
  explicit Planner(const ResumeInputs& in)
      : in_(in),
        seeded_(in.plan.steps.size()),
        stable_(in.plan.steps.size(), 0),
        visited_(in.plan.steps.size(), 0) {
    out_.steps.resize(in.plan.steps.size());
  }

  ResumePlan run() {
    compare_files();
    for (const StepRecord& r : in_.journal.record.steps)
      if (in_.graph.index(r.id) < 0) out_.gone.push_back(r.id);
    for (int v : in_.graph.topo_order()) {
      decide(v);
      visited_[static_cast<size_t>(v)] = 1;
    }
    return std::move(out_);
  }

 private:
  const StepDecl& decl(int v) const { return in_.plan.steps[static_cast<size_t>(v)]; }
  StepResume& res(int v) { return out_.steps[static_cast<size_t>(v)]; }
  const Edge& edge(int ei) const { return in_.graph.edges()[static_cast<size_t>(ei)]; }

  void compare_files() {
    const std::string now = combined_digest(in_.files);
    out_.plan_changed = !in_.journal.digest.empty() && now != in_.journal.digest;
    if (!out_.plan_changed) return;
    for (const FileDigest& f : in_.files) {
      bool same = std::any_of(in_.journal.files.begin(), in_.journal.files.end(),
                              [&](const FileDigest& o) { return o.sha256 == f.sha256; });
      if (!same) out_.changed_files.push_back(f.path);
    }
  }

  // The steps v depends on, except watches/triggered_by edges: any edge, and the steps its
  // `when` and `${...}` refer to (those already decided: references downstream are ignored).
  std::vector<int> upstream(int v) const {
    std::vector<int> ups;
    for (int ei : in_.graph.in_edges(v)) {
      const Edge& e = edge(ei);
      if (e.kind != EdgeKind::Watches && e.kind != EdgeKind::TriggeredBy) ups.push_back(e.from);
    }
    const StepDecl& d = decl(v);
    std::vector<Ref> when_refs;
    if (d.when)
      if (auto e = Expr::parse(d.when->text, d.when->loc); e.ok()) when_refs = e->refs();
    for (const std::string& id : referenced_steps(d, when_refs)) {
      int u = in_.graph.index(id);
      if (u >= 0 && u != v && visited_[static_cast<size_t>(u)]) ups.push_back(u);
    }
    return ups;
  }

  std::vector<int> sources(int v, EdgeKind kind) const {
    std::vector<int> out;
    for (int ei : in_.graph.in_edges(v))
      if (edge(ei).kind == kind) out.push_back(edge(ei).from);
    return out;
  }

  // Why v cannot be kept because of its dependencies, or "" if they are all stable.
  std::string unstable_reason(int v) {
    for (int u : upstream(v)) {
      if (stable_[static_cast<size_t>(u)]) continue;
      const std::string& id = in_.graph.id(u);
      Action a = res(u).action;
      if (a == Action::Rerun || a == Action::Ask || a == Action::Skip)
        return "depends on " + id + ", which runs again";
      return "depends on " + id + ", which had not succeeded";
    }
    return "";
  }

  // The fingerprint v would have now, over the kept steps' results; "" and `why` on error.
  std::string fingerprint_now(int v, std::string& why) {
    const Executor* ex = in_.registry.find(decl(v).kind);
    if (!ex) {
      why = "unknown kind '" + decl(v).kind + "'";
      return "";
    }
    RunScope scope(in_.vars, in_.facts, in_.graph, seeded_);
    auto prep = prepare_step(decl(v), *ex, scope);
    if (!prep.ok()) {
      why = prep.error().str();
      return "";
    }
    return step_fingerprint(decl(v), *prep, in_.salt);
  }

  // Keep v if its fingerprint is unchanged; else Rerun with the reason.
  void keep_if_unchanged(int v, const StepRecord& rec) {
    std::string why;
    const std::string now = fingerprint_now(v, why);
    auto it = in_.journal.fingerprints.find(rec.id);
    const std::string before = it == in_.journal.fingerprints.end() ? "" : it->second;
    if (now.empty()) return rerun(v, "its parameters cannot be resolved as before (" + why + ")");
    if (before.empty()) return rerun(v, "the journal has no fingerprint for it");
    if (now != before) {
      bool kind_differs = !rec.kind.empty() && rec.kind != decl(v).kind;
      return rerun(v, std::string("changed since the interrupted run (") +
                          (kind_differs ? "kind differs" : "params differ") + ")");
    }
    keep(v, rec);
  }

  void keep(int v, const StepRecord& rec) {
    res(v).action = Action::Keep;
    stable_[static_cast<size_t>(v)] = 1;
    StepRun& s = seeded_[v];
    s.phase = Phase::Done;
    s.has_result = true;
    s.status = finished_status(rec.state).value_or(StepStatus::Succeeded);
    s.outputs = rec.outputs;
    s.fired = rec.firings.empty() ? 0 : rec.firings.back().count;
  }

  void rerun(int v, std::string reason) {
    res(v).action = Action::Rerun;
    res(v).reason = std::move(reason);
  }

  void interrupted(int v, const StepRecord& rec) {
    if (!rec.attempts.empty() && rec.attempts.back().end)
      return rerun(v, "was waiting to retry when the run stopped");
    if (decl(v).idempotent) return rerun(v, "was interrupted (started, never finished)");
    res(v).action = Action::Ask;
    res(v).reason = "was interrupted (started, never finished) and is not idempotent";
  }

  void decide_watcher(int v, const StepRecord* rec) {
    bool watched_kept = true;
    for (int a : sources(v, EdgeKind::Watches))
      watched_kept = watched_kept && res(a).action == Action::Keep;
    if (rec && watched_kept &&
        (rec->state == StepState::Succeeded || rec->state == StepState::Running) &&
        unstable_reason(v).empty()) {
      // An interrupted watcher whose steps all finished was about to be stopped: a success.
      StepRecord done = *rec;
      done.state = StepState::Succeeded;
      std::string why;
      std::string now = fingerprint_now(v, why);
      auto it = in_.journal.fingerprints.find(rec->id);
      if (!now.empty() && it != in_.journal.fingerprints.end() && it->second == now)
        return keep(v, done);
    }
    res(v).action = Action::Fresh;  // starts again with the first watched step that runs
    if (rec && !rec->attempts.empty() && !watched_kept)
      res(v).reason = "starts again with the steps it watches";
  }

  void decide(int v) {
    const std::string& id = in_.graph.id(v);
    const StepRecord* rec = in_.journal.record.find(id);
    if (decl(v).is_watcher()) return decide_watcher(v, rec);
    if (!rec || rec->state == StepState::NotRun) return;  // Fresh
    if (rec->state == StepState::Skipped && in_.journal.skipped_by_choice.count(id))
      return keep(v, *rec);
    bool watchers_kept = true;
    for (int w : sources(v, EdgeKind::TriggeredBy))
      watchers_kept = watchers_kept && res(w).action == Action::Keep;
    switch (rec->state) {
      case StepState::Skipped:
        // Decided afresh; a skip as not applicable over stable steps does not unsettle others.
        if (rec->skip_kind == SkipKind::NotApplicable && watchers_kept &&
            unstable_reason(v).empty()) {
          stable_[static_cast<size_t>(v)] = 1;
          seeded_[v].has_result = true;
          seeded_[v].status = StepStatus::Skipped;
        }
        return;
      case StepState::Failed:
        return rerun(v, "failed in the interrupted run");
      case StepState::TimedOut:
        return rerun(v, "timed out in the interrupted run");
      case StepState::Cancelled:
        return rerun(v, "was cancelled in the interrupted run");
      case StepState::Running:
        return interrupted(v, *rec);
      case StepState::Succeeded:
        break;
      case StepState::NotRun:
        return;
    }
    if (!watchers_kept) return;  // Fresh: its earlier result stands until a firing runs it
    if (std::string why = unstable_reason(v); !why.empty()) return rerun(v, why);
    keep_if_unchanged(v, *rec);
  }

  const ResumeInputs& in_;
  ResumePlan out_;
  RunState seeded_;           // kept steps' results, for fingerprints that refer to them
  std::vector<char> stable_;  // kept, or skipped as not applicable over stable steps
  std::vector<char> visited_;
};

}  // namespace

std::vector<int> ResumePlan::asks() const {
  std::vector<int> out;
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].action == StepResume::Action::Ask) out.push_back(static_cast<int>(i));
  return out;
}

std::vector<int> ResumePlan::kept() const {
  std::vector<int> out;
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].action == StepResume::Action::Keep) out.push_back(static_cast<int>(i));
  return out;
}

ResumePlan plan_resume(const ResumeInputs& in) {
  return Planner(in).run();
}

ResumeSeed make_resume_seed(const ResumeInputs& in, const ResumePlan& plan,
                            std::chrono::system_clock::time_point now) {
  ResumeSeed seed;
  const RunRecord& record = in.journal.record;
  seed.info.resumes = in.journal.resumes + 1;
  seed.info.plan_changed = plan.plan_changed;
  seed.mono_offset = record.last_mono;
  if (auto last = parse_utc_ms(record.last_at); last && now > *last)
    seed.mono_offset += std::chrono::duration_cast<Millis>(now - *last);

  seed.steps.resize(in.plan.steps.size());
  for (size_t i = 0; i < in.plan.steps.size(); ++i) {
    const StepDecl& d = in.plan.steps[i];
    const StepResume& r = plan.steps[i];
    StepSeed& sd = seed.steps[i];
    const StepRecord* rec = record.find(d.id);
    if (rec && !rec->firings.empty()) sd.fired = rec->firings.back().count;
    const auto status = rec ? finished_status(rec->state) : std::nullopt;
    auto take_result = [&] {
      sd.has_result = true;
      sd.status = *status;
      if (rec->skip_kind) sd.skip_kind = *rec->skip_kind;
      sd.reason = rec->skip_reason;
      sd.exit_code = rec->exit_code;
      sd.message = rec->message;
      sd.outputs = rec->outputs;
    };
    switch (r.action) {
      case Action::Keep:
        sd.start = StepSeed::Start::Kept;
        if (status) take_result();
        if (d.is_triggered()) sd.runs = std::max(1, rec ? rec->runs : 1);
        seed.info.kept.push_back(d.id);
        break;
      case Action::Skip:
        sd.start = StepSeed::Start::Skip;
        sd.reason = "interrupted in an earlier part of the run; not run again (--skip-interrupted)";
        seed.info.skipped.push_back(d.id);
        break;
      case Action::Rerun:
      case Action::Ask:
      case Action::Fresh:
        if (r.action != Action::Fresh) seed.info.rerun.emplace_back(d.id, r.reason);
        if (d.is_triggered() && !d.is_watcher() && rec) {
          sd.runs = rec->runs;
          if (status && rec->runs > 0) take_result();
          if (r.action != Action::Fresh) sd.pending_triggers = 1;
        }
        break;
    }
  }
  return seed;
}

}  // namespace ordo
