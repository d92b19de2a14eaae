// Reading a run's journal back for `ordo resume`, `ordo run` (is there an unfinished run?) and
// `ordo status`. The records are folded into a RunRecord by run_record.h (the same reader the
// report and `graph --run` use); this adds what only the journal carries (journal-format.md):
// the plan digest, each step's fingerprint, the resumed parts, the --skip-interrupted choices
// and the `run_abandoned` mark. A torn last line is tolerated (RunRecord::torn_lines).
// Plain data; pure functions over the file system; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event.h"
#include "result.h"
#include "run_record.h"

namespace ordo {

struct JournalReplay {
  RunRecord record;
  std::string path;     // the journal file
  std::string run_dir;  // its directory
  std::string digest;   // run_started `digest` ("" in journals without one)
  std::vector<FileDigest> files;
  std::map<std::string, std::string> fingerprints;  // step -> its latest step_started's
  std::set<std::string> skipped_by_choice;  // skipped by --skip-interrupted, not started since
  std::vector<std::string> only_tags, skip_tags;  // the run's step selection (selection.h)
  int resumes = 0;                                // run_resumed records
  bool finished = false;  // the last part (after the last run_resumed) has a run_finished
  std::optional<RunOutcome> outcome;  // that run_finished's outcome
  bool abandoned = false;             // a run_abandoned record (ordo run --fresh)
  std::string abandoned_by;           // the run that replaced it

  // Neither finished nor abandoned: ordo died (or is still running it).
  bool unfinished() const { return !finished && !abandoned; }
};

Result<JournalReplay> read_journal(const std::string& journal_path);
// The same from the journal's text; `journal_path` names it (and its run directory).
Result<JournalReplay> parse_journal(const std::string& text, const std::string& journal_path);

// The plan's most recent run that has a journal, read; nullopt if it has none. A journal
// without one complete line (killed before its first write, so before any step started) does
// not count as a run.
Result<std::optional<JournalReplay>> read_last_run(const std::string& state_dir,
                                                   const std::string& plan);

// The `run_abandoned` record for a journal (JSON text, no newline).
std::string run_abandoned_json(const JournalReplay& old, const std::string& new_run_id);

// Parses a record's `ts` ("2026-11-26T01:02:03.456Z"); nullopt if it is not one.
std::optional<std::chrono::system_clock::time_point> parse_utc_ms(const std::string& ts);

}  // namespace ordo
