#include "run_record.h"

#include <utility>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "events_json.h"
#include "value_json.h"

namespace ordo {
namespace {

ValueTable to_table(const Json& j) {
  Value v = to_value(j);
  return v.is_table() ? std::move(v.as_table()) : ValueTable{};
}

std::string str(const Json& j, const char* key) {
  return json_str(j, key);
}

int64_t num(const Json& j, const char* key, int64_t dflt = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : dflt;
}

bool flag(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const Json& x : *it)
    if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

StepState parse_status(const std::string& s) {
  if (s == "succeeded") return StepState::Succeeded;
  if (s == "timed_out") return StepState::TimedOut;
  if (s == "cancelled") return StepState::Cancelled;
  return StepState::Failed;  // "failed", and anything unknown counts as not succeeded
}

std::optional<RunOutcome> parse_outcome(const std::string& s) {
  if (s == "succeeded") return RunOutcome::Succeeded;
  if (s == "failed") return RunOutcome::Failed;
  if (s == "refused") return RunOutcome::Refused;
  if (s == "interrupted") return RunOutcome::Interrupted;
  return RunOutcome::Failed;  // an outcome this reader does not know: not a success
}

SkipKind parse_skip_kind(const std::string& s) {
  if (s == "blocked") return SkipKind::Blocked;
  if (s == "not_reached") return SkipKind::NotReached;
  return SkipKind::NotApplicable;
}

StepCounts parse_counts(const Json& j) {
  StepCounts c;
  auto it = j.find("counts");
  if (it == j.end() || !it->is_object()) return c;
  c.succeeded = static_cast<int>(num(*it, "succeeded"));
  c.failed = static_cast<int>(num(*it, "failed"));
  c.timed_out = static_cast<int>(num(*it, "timed_out"));
  c.cancelled = static_cast<int>(num(*it, "cancelled"));
  c.skipped = static_cast<int>(num(*it, "skipped"));
  c.not_applicable = static_cast<int>(num(*it, "not_applicable"));
  c.blocked = static_cast<int>(num(*it, "blocked"));
  c.not_reached = static_cast<int>(num(*it, "not_reached"));
  return c;
}

// Folds one record into the RunRecord.
class Reader {
 public:
  explicit Reader(RunRecord& r) : r_(r) {}

  void record(const Json& j, const std::string& t, Millis mono) {
    if (t == "run_started")
      run_started(j);
    else if (t == "run_resumed")
      run_resumed(j);
    else if (t == "step_started")
      step_started(j, mono);
    else if (t == "step_output")
      step_output(j, mono);
    else if (t == "step_warning")
      step(str(j, "step")).warnings.push_back(str(j, "message"));
    else if (t == "watcher_fired")
      watcher_fired(j, mono);
    else if (t == "step_retrying")
      step_retrying(j, mono);
    else if (t == "step_finished")
      step_finished(j, mono);
    else if (t == "step_skipped")
      step_skipped(j, mono);
    else if (t == "run_aborting")
      run_aborting(j, mono);
    else if (t == "run_finished")
      run_finished(j);
    else
      ++r_.unknown_records;
  }

 private:
  StepRecord& step(const std::string& id) {
    if (StepRecord* s = r_.find(id)) return *s;
    StepRecord s;
    s.id = id;
    s.declared = false;
    r_.step_index.emplace(id, r_.steps.size());
    r_.steps.push_back(std::move(s));
    return r_.steps.back();
  }

  void run_started(const Json& j) {
    r_.run_id = str(j, "run");
    r_.plan = str(j, "plan");
    r_.path = str(j, "path");
    r_.host = str(j, "host");
    r_.jobs = static_cast<int>(num(j, "jobs"));
    r_.started_at = str(j, "ts");
    if (auto it = j.find("vars"); it != j.end()) r_.vars = to_table(*it);
    for (const std::string& id : strings(j, "steps")) step(id).declared = true;
  }

  // A resumed part (`ordo resume`) continues the run: what the earlier part ended with (its
  // outcome, its abort) no longer describes the run, and the attempts it left open ended when
  // that ordo stopped (the last record before this one). Steps the resume kept stay as they
  // were; a watcher kept while still open counts as stopped after its watched steps: succeeded.
  // As the first record (an --events file of the resume alone) it stands for run_started.
  void run_resumed(const Json& j) {
    ++r_.resumes;
    if (r_.run_id.empty()) {
      run_started(j);
      return;
    }
    r_.resumed_at.push_back(r_.last_mono);
    r_.outcome.reset();
    r_.counts = StepCounts{};
    r_.root_causes.clear();
    r_.duration = Millis(0);
    r_.aborted = false;
    r_.abort_reason.clear();
    r_.abort_cause.clear();
    r_.aborted_at = Millis(0);
    r_.interrupts = 0;
    const std::vector<std::string> kept = strings(j, "kept");
    for (StepRecord& s : r_.steps) {
      AttemptRecord* a = open_attempt(s);
      if (!a) continue;
      a->end = std::max(r_.last_mono, a->start);
      a->outcome = StepState::Cancelled;
      a->message = "interrupted: ordo stopped";
      if (std::find(kept.begin(), kept.end(), s.id) != kept.end()) {
        a->outcome = StepState::Succeeded;
        a->message.clear();
        s.state = StepState::Succeeded;
        s.settled_at = a->end;
      }
    }
  }

  void step_started(const Json& j, Millis mono) {
    StepRecord& s = step(str(j, "step"));
    if (std::string kind = str(j, "kind"); !kind.empty()) s.kind = kind;
    s.watcher = flag(j, "watcher");
    if (std::string cmd = str(j, "command"); !cmd.empty()) s.command = cmd;
    AttemptRecord a;
    a.attempt = static_cast<int>(num(j, "attempt", 1));
    // A new run of the step starts with attempt 1 after an earlier run finished.
    a.run = s.attempts.empty() ? 1 : s.attempts.back().run;
    if (!s.attempts.empty() && a.attempt == 1 && s.state != StepState::Running) ++a.run;
    a.start = mono;
    s.attempts.push_back(std::move(a));
    s.state = StepState::Running;
  }

  void step_output(const Json& j, Millis mono) {
    StepRecord& s = step(str(j, "step"));
    ++s.output_lines;
    s.output_tail.push_back(OutputLine{mono, str(j, "stream"), str(j, "line")});
    if (s.output_tail.size() > 2 * StepRecord::kOutputTail)
      s.output_tail.erase(s.output_tail.begin(),
                          s.output_tail.end() - static_cast<long>(StepRecord::kOutputTail));
  }

  void watcher_fired(const Json& j, Millis mono) {
    FiringRecord f;
    f.at = mono;
    f.count = static_cast<int>(num(j, "count", 1));
    f.triggers = strings(j, "triggers");
    if (auto it = j.find("details"); it != j.end()) f.details = to_table(*it);
    step(str(j, "step")).firings.push_back(std::move(f));
  }

  // The open attempt of a step, or nullptr.
  static AttemptRecord* open_attempt(StepRecord& s) {
    if (s.attempts.empty() || s.attempts.back().end) return nullptr;
    return &s.attempts.back();
  }

  void step_retrying(const Json& j, Millis mono) {
    StepRecord& s = step(str(j, "step"));
    if (AttemptRecord* a = open_attempt(s)) {
      a->end = mono;
      a->outcome = flag(j, "timed_out") ? StepState::TimedOut : StepState::Failed;
      a->message = str(j, "message");
      a->wait = Millis(num(j, "wait_ms"));
    }
  }

  void step_finished(const Json& j, Millis mono) {
    StepRecord& s = step(str(j, "step"));
    s.state = parse_status(str(j, "status"));
    s.exit_code = static_cast<int>(num(j, "exit_code", -1));
    s.message = str(j, "message");
    s.outputs = ValueTable{};
    if (auto it = j.find("outputs"); it != j.end()) s.outputs = to_table(*it);
    s.duration = Millis(num(j, "duration_ms"));
    s.settled_at = mono;
    ++s.runs;
    if (AttemptRecord* a = open_attempt(s)) {
      a->end = mono;
      a->outcome = s.state;
      a->message = s.message;
    }
  }

  void step_skipped(const Json& j, Millis mono) {
    StepRecord& s = step(str(j, "step"));
    s.state = StepState::Skipped;
    s.skip_kind = parse_skip_kind(str(j, "kind"));
    s.skip_reason = str(j, "reason");
    s.skip_cause = str(j, "cause");
    s.settled_at = mono;
  }

  void run_aborting(const Json& j, Millis mono) {
    if (!r_.aborted) {
      r_.aborted = true;
      r_.abort_reason = str(j, "reason");
      r_.abort_cause = str(j, "cause");
      r_.aborted_at = mono;
    }
    r_.interrupts = static_cast<int>(num(j, "interrupts"));
  }

  void run_finished(const Json& j) {
    r_.outcome = parse_outcome(str(j, "outcome"));
    r_.counts = parse_counts(j);
    r_.root_causes = strings(j, "root_causes");
    r_.duration = Millis(num(j, "duration_ms"));
  }

  RunRecord& r_;
};

}  // namespace

const char* step_state_name(StepState s) {
  switch (s) {
    case StepState::NotRun:
      return "not_run";
    case StepState::Running:
      return "running";
    case StepState::Succeeded:
      return "succeeded";
    case StepState::Failed:
      return "failed";
    case StepState::TimedOut:
      return "timed_out";
    case StepState::Cancelled:
      return "cancelled";
    case StepState::Skipped:
      return "skipped";
  }
  return "?";
}

std::optional<Millis> StepRecord::first_start() const {
  if (attempts.empty()) return std::nullopt;
  return attempts.front().start;
}

const StepRecord* RunRecord::find(std::string_view id) const {
  if (step_index.size() == steps.size()) {
    auto it = step_index.find(std::string(id));
    return it != step_index.end() && it->second < steps.size() && steps[it->second].id == id
               ? &steps[it->second]
               : nullptr;
  }
  for (const StepRecord& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

StepRecord* RunRecord::find(std::string_view id) {
  return const_cast<StepRecord*>(std::as_const(*this).find(id));
}

Result<RunRecord> parse_run_record(std::string_view text, const std::string& name) {
  // The zero tail of a preallocated journal whose ordo was killed (journal.h) is not a record.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  RunRecord r;
  Reader reader(r);
  bool started = false;
  int line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    bool last = nl == std::string_view::npos;
    std::string_view line = text.substr(at, last ? std::string_view::npos : nl - at);
    at = last ? text.size() : nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      // A crash mid-write leaves the last line without its newline: drop it.
      if (last) {
        ++r.torn_lines;
        break;
      }
      return make_error(name + ":" + std::to_string(line_no) + ": not a JSON object");
    }
    int64_t v = num(j, "v", -1);
    if (v != kEventsFormatVersion)
      return make_error(name + ":" + std::to_string(line_no) + ": format version " +
                        std::to_string(v) + " is not supported (this ordo reads version " +
                        std::to_string(kEventsFormatVersion) + ")");
    std::string t = str(j, "t");
    if (!started && t != "run_started" && t != "run_resumed")
      return make_error(name + ":" + std::to_string(line_no) +
                        ": expected a run_started or run_resumed record first, got '" + t + "'");
    started = true;
    r.version = static_cast<int>(v);
    Millis mono(num(j, "mono_ms"));
    reader.record(j, t, mono);  // before last_mono moves on: run_resumed reads the earlier part's
    r.last_mono = std::max(r.last_mono, mono);
    if (std::string ts = str(j, "ts"); !ts.empty()) r.last_at = ts;
  }
  if (!started) return make_error(name + ": no run_started record (an empty journal?)");
  if (!r.outcome) r.duration = r.last_mono;
  return r;
}

Result<RunRecord> read_run_record(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_run_record(ss.str(), path);
}

}  // namespace ordo
