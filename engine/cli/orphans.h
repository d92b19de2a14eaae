// Before `ordo resume` or `ordo run --fresh` runs anything, the steps an earlier ordo of the
// run started and that still run (it was killed with SIGKILL, so it could not stop them) are
// named, then stopped (their process groups: SIGTERM, the longest kill_grace of their steps,
// SIGKILL) or, with --wait-orphans, waited for: a step must not run twice at once, and a run
// started over must not race the one it abandons. Finds them with resume_orphans.h.
#pragma once

#include <optional>

#include "journal_replay.h"
#include "plan.h"

namespace ordo::cli {

// `old` is the earlier run (its steps that were running when its ordo died are the suspects),
// `plan` gives their kill_grace, `before` finishes "... before <before>" in the messages
// ("resuming", "starting the new run"). Returns an exit code (3) when some cannot be stopped.
std::optional<int> settle_orphans(const JournalReplay& old, const Plan& plan, bool wait,
                                  const char* before);

}  // namespace ordo::cli
