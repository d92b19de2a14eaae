// Small helpers of the run report: escaping, times, state names, the shared Context.
#include <fmt/core.h>

#include <cstdio>
#include <ctime>

#include "report_html.h"

namespace ordo::report {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view ts) {
  std::string s(ts);
  std::tm tm{};
  int ms = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
      static_cast<size_t>(used) != s.size())
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = ::timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) + std::chrono::milliseconds(ms);
}

std::string show_utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string show_offset(Millis at) {
  long long ms = at.count();
  if (ms < 1000) return "+" + std::to_string(ms) + "ms";
  if (ms < 60000) return fmt::format("+{}.{:03}s", ms / 1000, ms % 1000);
  return fmt::format("+{}m{:02}.{}s", ms / 60000, (ms % 60000) / 1000, (ms % 1000) / 100);
}

std::string state_class(const StepRecord* s) {
  if (!s) return "not_run";
  switch (s->state) {
    case StepState::NotRun:
      return "not_run";
    case StepState::Skipped:
      return s->skip_kind == SkipKind::NotReached ? "not_reached" : "skipped";
    default:
      return step_state_name(s->state);
  }
}

std::string state_label(const StepRecord* s) {
  std::string c = state_class(s);
  if (c == "timed_out") return "timed out";
  if (c == "not_reached") return "not reached";
  if (c == "not_run") return "not run";
  return c;
}

std::string Context::redact(std::string text) const {
  for (const std::string& s : in.secret_values) {
    if (s.size() < 3) continue;  // too short to tell from ordinary text
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 3))
      text.replace(at, s.size(), "***");
  }
  return text;
}

std::string Context::link(const std::string& id) const {
  return "<a href=\"#step-" + esc(id) + "\">" + esc(id) + "</a>";
}

std::string Context::attempts_text(const StepRecord& s) const {
  int n = static_cast<int>(s.attempts.size());
  const StepDecl* d = decl(s.id);
  std::string t = std::to_string(n) + (n == 1 ? " attempt" : " attempts");
  if (d && d->retries.attempts > 1) t += " of " + std::to_string(d->retries.attempts);
  return t;
}

OutcomeView outcome_of(const RunRecord& run) {
  if (!run.outcome) return {"unfinished", "⚠ NO END RECORD"};
  switch (*run.outcome) {
    case RunOutcome::Succeeded:
      return {"succeeded", "✔ SUCCEEDED"};
    case RunOutcome::Failed:
      return {"failed", "✘ FAILED"};
    case RunOutcome::Refused:
      return {"refused", "⊘ REFUSED"};
    case RunOutcome::Interrupted:
      return {"interrupted", "■ INTERRUPTED"};
  }
  return {"failed", "✘ FAILED"};
}

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,@%+${}") == std::string::npos)
    return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace ordo::report
