// Resume planning: what `ordo resume` does with each step of the plan, given the journal of the
// run it continues. Pure: no I/O, no prompts (the command asks about the steps marked Ask).
//
// The rules (journal-format.md, "Resume"):
//  - A step that succeeded is kept (not run again) if its fingerprint is unchanged and every
//    step it depends on (any edge, and the steps its `when`/`${...}` refer to) is stable: kept,
//    or skipped as not applicable with stable dependencies. Otherwise it runs again, and says
//    why: "changed since the interrupted run (params differ)", "runs after X, which runs again".
//  - A step that started and never finished was interrupted: it runs again if it is idempotent
//    (or its last attempt had already ended, waiting to retry); otherwise Ask: the user chooses
//    (--rerun-interrupted / --skip-interrupted / a question on a terminal).
//  - Failed, timed out and cancelled steps run again; skipped and never-run steps are decided
//    afresh. A step skipped by an earlier --skip-interrupted stays skipped.
//  - Watchers carry their fired count (`steps.W.fired`) over. A watcher is kept if all the steps
//    it watches are kept; otherwise it starts again with the first of them that runs (and may
//    fire max_fires times again). A triggered step whose watcher is kept follows the rules
//    above; if its watcher starts again, its earlier result stands until a new firing runs it.
// Thread-safe (pure functions).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "facts.h"
#include "graph.h"
#include "journal_replay.h"
#include "plan.h"
#include "registry.h"
#include "scheduler.h"
#include "vars.h"

namespace ordo {

struct StepResume {
  enum class Action {
    Fresh,  // decided afresh (never ran, was skipped, or a watcher that starts again)
    Keep,   // settled earlier, kept as it is
    Rerun,  // ran earlier, runs again (`reason` says why)
    Ask,    // interrupted and not idempotent: the user decides (then Rerun or Skip)
    Skip,   // interrupted, not to be run again
  };
  Action action = Action::Fresh;
  std::string reason;  // Rerun/Ask: "was interrupted (started, never finished)", ...
};

struct ResumePlan {
  std::vector<StepResume> steps;           // by plan step index
  std::vector<std::string> gone;           // steps in the journal that the plan no longer has
  bool plan_changed = false;               // the digest differs
  std::vector<std::string> changed_files;  // plan files whose content is not the run's
  std::vector<int> asks() const;           // steps with Action::Ask
  std::vector<int> kept() const;           // steps with Action::Keep
};

struct ResumeInputs {
  const Plan& plan;
  const Graph& graph;
  const Registry& registry;
  const VarValues& vars;
  const Facts& facts;
  const JournalReplay& journal;
  const std::string& salt;               // the run's fingerprint salt
  const std::vector<FileDigest>& files;  // the plan's files now
};

ResumePlan plan_resume(const ResumeInputs& in);

// The scheduler's starting point. REQUIRES: no Action::Ask left (each resolved to Rerun/Skip).
// `now` sets the mono offset: the earlier part's last mono_ms plus the time since its last
// record.
ResumeSeed make_resume_seed(const ResumeInputs& in, const ResumePlan& plan,
                            std::chrono::system_clock::time_point now);

}  // namespace ordo
