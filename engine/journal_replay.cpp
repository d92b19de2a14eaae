#include "journal_replay.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include "value_json.h"

#include "events_json.h"

namespace ordo {
namespace {

std::string str(const Json& j, const char* key) {
  return json_str(j, key);
}

std::optional<RunOutcome> outcome_of(const std::string& s) {
  if (s == "succeeded") return RunOutcome::Succeeded;
  if (s == "refused") return RunOutcome::Refused;
  if (s == "interrupted") return RunOutcome::Interrupted;
  return RunOutcome::Failed;
}

// The records only the journal needs (the rest is RunRecord's).
void fold_extra(JournalReplay& r, const Json& j) {
  const std::string t = str(j, "t");
  if (t == "step_started") {
    const std::string step = str(j, "step");
    r.fingerprints[step] = str(j, "fingerprint");
    r.skipped_by_choice.erase(step);
  } else if (t == "run_started" || t == "run_resumed") {
    if (t == "run_resumed") ++r.resumes;
    r.finished = false;
    r.outcome.reset();
    r.digest = str(j, "digest");
    r.files.clear();
    if (auto it = j.find("files"); it != j.end() && it->is_array())
      for (const Json& f : *it)
        if (f.is_object()) r.files.push_back({str(f, "path"), str(f, "sha256")});
    for (auto [key, into] : {std::pair{"only_tags", &r.only_tags}, {"skip_tags", &r.skip_tags}}) {
      into->clear();
      if (auto it = j.find(key); it != j.end() && it->is_array())
        for (const Json& s : *it)
          if (s.is_string()) into->push_back(s.get<std::string>());
    }
    if (auto it = j.find("skipped"); it != j.end() && it->is_array())
      for (const Json& s : *it)
        if (s.is_string()) r.skipped_by_choice.insert(s.get<std::string>());
  } else if (t == "run_finished") {
    r.finished = true;
    r.outcome = outcome_of(str(j, "outcome"));
  } else if (t == "run_abandoned") {
    r.abandoned = true;
    r.abandoned_by = str(j, "by");
  }
}

// Only these record types carry what fold_extra() reads; other lines are not parsed twice.
bool wanted(std::string_view line) {
  for (const char* t : {"\"t\":\"step_started\"", "\"t\":\"run_started\"", "\"t\":\"run_resumed\"",
                        "\"t\":\"run_finished\"", "\"t\":\"run_abandoned\""})
    if (line.find(t) != std::string_view::npos) return true;
  return false;
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// No complete line: the run was killed before its first records reached the file, which is
// before it started any step (steps start after their turn's records are written).
bool never_began(const std::string& text) {
  return text.find('\n') == std::string::npos;
}

}  // namespace

Result<JournalReplay> parse_journal(const std::string& text, const std::string& journal_path) {
  JournalReplay r;
  TRY_ASSIGN(r.record, parse_run_record(text, journal_path));
  r.path = journal_path;
  r.run_dir = std::filesystem::path(journal_path).parent_path().string();
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!wanted(line)) continue;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) fold_extra(r, j);  // a torn last line was already dropped as RunRecord's
  }
  return r;
}

Result<JournalReplay> read_journal(const std::string& journal_path) {
  TRY_ASSIGN(std::string text, read_text(journal_path));
  if (never_began(text))
    return make_error(journal_path +
                      ": no complete record: that run was stopped before it started any step");
  return parse_journal(text, journal_path);
}

Result<std::optional<JournalReplay>> read_last_run(const std::string& state_dir,
                                                   const std::string& plan) {
  std::vector<std::string> runs = list_runs(state_dir, plan);
  std::error_code ec;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    std::string j = journal_path(run_dir_of(state_dir, plan, *it));
    if (!std::filesystem::is_regular_file(j, ec)) continue;
    TRY_ASSIGN(std::string text, read_text(j));
    if (never_began(text)) continue;
    TRY_ASSIGN(JournalReplay r, parse_journal(text, j));
    return std::optional<JournalReplay>(std::move(r));
  }
  return std::optional<JournalReplay>();
}

std::string run_abandoned_json(const JournalReplay& old, const std::string& new_run_id) {
  Json j;
  j["v"] = kEventsFormatVersion;
  j["t"] = "run_abandoned";
  j["ts"] = format_utc_ms(std::chrono::system_clock::now());
  j["mono_ms"] = old.record.last_mono.count();
  j["by"] = new_run_id;
  j["reason"] = "ordo run --fresh";
  return j.dump();
}

std::optional<std::chrono::system_clock::time_point> parse_utc_ms(const std::string& ts) {
  std::tm tm{};
  const char* rest = strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  int ms = 0;
  if (*rest == '.') {
    ++rest;
    for (int i = 0; i < 3 && *rest >= '0' && *rest <= '9'; ++i, ++rest)
      ms = ms * 10 + (*rest - '0');
  }
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  return t + std::chrono::milliseconds(ms);
}

}  // namespace ordo
