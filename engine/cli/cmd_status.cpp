// `ordo status PLAN [RUN-ID]`: a run's state per step, from its journal (journal_replay.h):
// outcome, attempts, start and end times, duration and log file of each step, and whether the
// run is running (its lock is held), unfinished (ordo died: resume it), interrupted (Ctrl-C),
// finished, or abandoned (ordo run --fresh). --json prints the same as one JSON object.
#include <sys/stat.h>

#include <fmt/core.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "events_json.h"
#include "journal_replay.h"
#include "run_lock.h"
#include "run_record.h"
#include "run_session.h"

namespace ordo::cli {
namespace {

using Json = nlohmann::ordered_json;
using WallTime = std::chrono::system_clock::time_point;

struct StepRow {
  const StepRecord* rec;
  std::string state;  // step_state_name, or "interrupted" for a step running when ordo died
  std::optional<WallTime> start, end;
  std::optional<Millis> duration;
  std::string log;   // "" when the step has no log file
  std::string note;  // failure message or skip reason
};

std::string hms(WallTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string seconds(Millis d) {
  if (d < Millis(10000)) return fmt::format("{:.2f}s", static_cast<double>(d.count()) / 1000.0);
  return format_duration(d);
}

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::vector<StepRow> rows_of(const JournalReplay& j, bool running, WallTime t0) {
  std::vector<StepRow> rows;
  for (const StepRecord& s : j.record.steps) {
    StepRow r{&s, step_state_name(s.state), {}, {}, {}, {}, {}};
    if (s.state == StepState::Running && !running) r.state = "interrupted";
    if (auto first = s.first_start()) r.start = t0 + *first;
    if (s.settled_at && s.state != StepState::Running) {
      r.end = t0 + *s.settled_at;
      if (s.state == StepState::Skipped)
        r.duration = Millis(0);
      else
        r.duration = s.duration;
    } else if (s.state == StepState::Running && !s.attempts.empty()) {
      r.duration = j.record.last_mono - s.attempts.back().start;  // so far (to the last record)
    }
    std::string log = j.run_dir + "/steps/" + s.id + ".log";
    if (file_exists(log)) r.log = log;
    r.note = s.state == StepState::Skipped ? s.skip_reason : s.message;
    // Skipped at the end but run in an earlier part of a resumed run (an on_failure handler
    // that ran after the first failure, not needed after the resume): say what it did then.
    if (s.state == StepState::Skipped && !s.attempts.empty()) {
      const AttemptRecord& last = s.attempts.back();
      r.note += fmt::format("; before the resume it ran ({} attempt{}, {})", s.attempts.size(),
                            s.attempts.size() > 1 ? "s" : "", step_state_name(last.outcome));
    }
    // A watcher's firings: how often, and the last one in the watcher's own words.
    if (!s.firings.empty()) {
      const FiringRecord& last = s.firings.back();
      const Value* summary = table_find(last.details, "summary");
      std::string fired = fmt::format("fired {}×", s.firings.size());
      if (summary && summary->is_string()) fired += ": " + summary->as_string();
      if (!last.triggers.empty()) {
        fired += " -> ";
        for (size_t i = 0; i < last.triggers.size(); ++i)
          fired += (i ? ", " : "") + last.triggers[i];
      }
      r.note = r.note.empty() ? fired : r.note + "; " + fired;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

int cmd_status(const StatusOptions& opts) {
  std::optional<std::string> name = plan_name_of(opts.plan);
  if (!name) return kExitInvalid;
  const std::string state = state_dir_of(opts.common);
  Result<RunLocation> where = locate_run(state, *name, opts.run);
  if (!where.ok()) {
    std::cerr << "ordo: " << where.error().str() << "\n";
    return kExitInvalid;
  }
  Result<JournalReplay> read = read_journal(where->record);
  if (!read.ok()) {
    std::cerr << "ordo: " << read.error().str() << "\n";
    return kExitInvalid;
  }
  const JournalReplay& j = *read;
  const RunRecord& rec = j.record;

  Result<LockProbe> lock = probe_lock(lock_path(state, *name));
  const bool running =
      !j.finished && !j.abandoned && lock.ok() && lock->held && lock->holder.run == rec.run_id;
  std::string condition = running                                ? "running"
                          : j.abandoned                          ? "abandoned"
                          : !j.finished                          ? "unfinished"
                          : j.outcome == RunOutcome::Interrupted ? "interrupted"
                                                                 : "finished";
  const WallTime t0 = parse_utc_ms(rec.started_at).value_or(WallTime{});
  std::vector<StepRow> rows = rows_of(j, running, t0);

  if (opts.json) {
    Json out;
    out["run"] = rec.run_id;
    out["plan"] = rec.plan;
    out["path"] = rec.path;
    out["host"] = rec.host;
    out["state"] = condition;
    out["outcome"] = j.finished && j.outcome ? Json(run_outcome_name(*j.outcome)) : Json(nullptr);
    out["started_at"] = rec.started_at;
    out["last_at"] = rec.last_at;
    out["duration_ms"] = rec.last_mono.count();
    out["resumes"] = j.resumes;
    out["journal"] = j.path;
    out["run_dir"] = j.run_dir;
    out["abandoned_by"] = j.abandoned ? Json(j.abandoned_by) : Json(nullptr);
    out["only_tags"] = j.only_tags;
    out["skip_tags"] = j.skip_tags;
    out["lock"] =
        running ? Json{{"pid", lock->holder.pid}, {"host", lock->holder.host}} : Json(nullptr);
    Json steps = Json::array();
    for (const StepRow& r : rows) {
      Json s;
      s["step"] = r.rec->id;
      s["state"] = r.state;
      s["attempts"] = r.rec->attempts.size();
      s["runs"] = r.rec->runs;
      s["started_at"] = r.start ? Json(format_utc_ms(*r.start)) : Json(nullptr);
      s["ended_at"] = r.end ? Json(format_utc_ms(*r.end)) : Json(nullptr);
      s["duration_ms"] = r.duration ? Json(r.duration->count()) : Json(nullptr);
      s["exit_code"] = r.rec->exit_code;
      s["message"] = r.note;
      s["log"] = r.log.empty() ? Json(nullptr) : Json(r.log);
      steps.push_back(std::move(s));
    }
    out["steps"] = std::move(steps);
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }

  std::cout << "Run " << rec.run_id << " of plan " << rec.plan << ": " << condition;
  if (condition == "running")
    std::cout << " (pid " << lock->holder.pid << " on host " << lock->holder.host << ")";
  else if (condition == "unfinished")
    std::cout << " (ordo stopped before the end: no run_finished record)";
  else if (condition == "abandoned")
    std::cout << " (by ordo run --fresh: run " << j.abandoned_by << ")";
  else if (j.outcome)
    std::cout << ", " << run_outcome_name(*j.outcome);
  std::cout << "\n";
  if (condition == "unfinished" || condition == "interrupted" ||
      (condition == "finished" && j.outcome != RunOutcome::Succeeded))
    std::cout << "  continue it: ordo resume " << opts.plan
              << (condition == "unfinished"
                      ? "   (or start over: ordo run --fresh " + opts.plan + ")"
                      : std::string())
              << "\n";
  std::cout << "Started " << local_datetime(rec.started_at) << " on " << rec.host
            << ", last record " << local_datetime(rec.last_at) << " (+" << seconds(rec.last_mono)
            << ")";
  if (j.resumes) std::cout << ", resumed " << j.resumes << (j.resumes > 1 ? " times" : " time");
  if (const TagFilter tags{j.only_tags, j.skip_tags}; !tags.empty())
    std::cout << "\nSteps selected by " << tags.describe();
  std::cout << "\nJournal: " << j.path << "\n\n";

  size_t w = 4;
  for (const StepRow& r : rows) w = std::max(w, r.rec->id.size());
  std::cout << fmt::format("{:<{}}  {:<11}  {:>8}  {:<8}  {:<8}  {:>8}  {}\n", "STEP", w, "STATE",
                           "ATTEMPTS", "START", "END", "DURATION", "LOG");
  for (const StepRow& r : rows) {
    std::cout << fmt::format("{:<{}}  {:<11}  {:>8}  {:<8}  {:<8}  {:>8}  {}\n", r.rec->id, w,
                             r.state, r.rec->attempts.size(), r.start ? hms(*r.start) : "-",
                             r.end ? hms(*r.end) : "-", r.duration ? seconds(*r.duration) : "-",
                             !r.log.empty() ? r.log
                             : r.start      ? "(no output)"
                                            : "-");
    if (!r.note.empty() && (r.state != "succeeded" || !r.rec->firings.empty()))
      std::cout << fmt::format("{:<{}}  ↳ {}\n", "", w, r.note);
  }
  return kExitOk;
}

}  // namespace ordo::cli
