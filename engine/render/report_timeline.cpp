// The report's Gantt timeline: HTML boxes positioned in percent of the run's length, so it
// scales with the window and prints without script.
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "report_html.h"

namespace ordo::report {

namespace {

struct Lane {
  const StepRecord* rec = nullptr;  // nullptr: no record of the step at all
  std::string id;
  std::string description;
  size_t order = 0;  // declaration order
};

// A tick step with about 6-10 ticks over `total`.
int64_t tick_step(int64_t total) {
  static const int64_t kSteps[] = {1,      2,      5,       10,      20,      50,
                                   100,    200,    500,     1000,    2000,    5000,
                                   10000,  15000,  30000,   60000,   120000,  300000,
                                   600000, 900000, 1800000, 3600000, 7200000, 14400000};
  for (int64_t s : kSteps)
    if (total / s <= 10) return s;
  return 14400000;
}

std::string pct(double x) {
  return fmt::format("{:.3f}%", std::clamp(x, 0.0, 100.0));
}

// Text beside a box that spans [from, to] percent, `gap` pixels away: after it, or before it
// near the right edge; cut short (with an ellipsis) where the track ends.
std::string beside(double from, double to, int gap) {
  if (to < 72)
    return fmt::format("left:calc({} + {}px);max-width:calc({} - {}px)", pct(to), gap,
                       pct(100 - to), gap + 4);
  return fmt::format("right:calc({} + {}px);max-width:calc({} - {}px)", pct(100 - from), gap,
                     pct(from), gap + 4);
}

std::string attempt_title(const Lane& l, const AttemptRecord& a, Millis end) {
  std::string t = l.id;
  if (l.rec->runs > 1 || a.run > 1) t += " · run " + std::to_string(a.run);
  t += " · attempt " + std::to_string(a.attempt) + " · " +
       (a.end ? std::string(step_state_name(a.outcome)) : std::string("running"));
  if (!a.message.empty()) t += " (" + a.message + ")";
  t += " · " + format_duration(end - a.start) + " · " + show_offset(a.start) + " → " +
       show_offset(end);
  return t;
}

}  // namespace

std::string timeline_html(const Plan& plan, const Graph& graph, const RunRecord& run,
                          const std::vector<std::string>& critical) {
  std::vector<Lane> lanes;
  for (const StepRecord& s : run.steps) {
    const int v = graph.index(s.id);
    const StepDecl* d = v < 0 ? nullptr : &plan.steps[static_cast<size_t>(v)];
    lanes.push_back({&s, s.id, d ? d->description : "", lanes.size()});
  }
  for (const StepDecl& d : plan.steps)
    if (!run.find(d.id)) lanes.push_back({nullptr, d.id, d.description, lanes.size()});

  // Steps that ran, by first start; then the others by when they were settled.
  auto key = [](const Lane& l) {
    const int64_t kNever = INT64_MAX;
    if (l.rec && l.rec->first_start()) return std::make_tuple(0, l.rec->first_start()->count());
    if (l.rec && l.rec->settled_at) return std::make_tuple(1, l.rec->settled_at->count());
    return std::make_tuple(1, kNever);
  };
  std::stable_sort(lanes.begin(), lanes.end(), [&](const Lane& a, const Lane& b) {
    return std::make_pair(key(a), a.order) < std::make_pair(key(b), b.order);
  });

  // The axis covers the run, and anything recorded after its end.
  int64_t total = std::max<int64_t>({run.duration.count(), run.last_mono.count(), 1});
  for (const StepRecord& s : run.steps)
    for (const AttemptRecord& a : s.attempts)
      total = std::max(total, (a.end ? *a.end + a.wait : a.start).count());
  auto at = [&](Millis t) { return 100.0 * static_cast<double>(t.count()) / total; };
  const std::set<std::string> on_path(critical.begin(), critical.end());

  std::string out = "<div class=\"gantt\" data-duration-ms=\"" + std::to_string(total) + "\">\n";
  int64_t step = tick_step(total);
  out += "<div class=\"g-axis\"><div class=\"g-label\">step</div><div class=\"g-track\">";
  for (int64_t t = 0; t <= total; t += step)
    out += "<span class=\"tick\" style=\"left:" + pct(at(Millis(t))) + "\">" +
           (t == 0 ? std::string("0") : format_duration(Millis(t))) + "</span>";
  out += "</div></div>\n<div class=\"g-rows\">\n";

  for (const Lane& l : lanes) {
    const StepRecord* s = l.rec;
    bool crit = on_path.count(l.id) > 0;
    out += "<div class=\"lane st-" + state_class(s) + (crit ? " critical" : "") +
           (s && s->watcher ? " watcher" : "") + "\" data-step=\"" + esc(l.id) + "\">";
    out += "<div class=\"g-label\" title=\"" + esc(l.description) + "\"><a href=\"#step-" +
           esc(l.id) + "\">" + esc(l.id) + "</a></div><div class=\"g-track\">";
    double first = 100, last = 0;
    int gap = 6;  // pixels between the last mark and the text
    if (s) {
      for (size_t i = 0; i < s->attempts.size(); ++i) {
        const AttemptRecord& a = s->attempts[i];
        Millis end = a.end ? *a.end : run.last_mono;
        std::string cls = a.end ? step_state_name(a.outcome) : "running";
        out += "<div class=\"bar " + cls + "\" style=\"left:" + pct(at(a.start)) +
               ";width:" + pct(at(end) - at(a.start)) + "\" data-step=\"" + esc(l.id) +
               "\" data-attempt=\"" + std::to_string(a.attempt) + "\" data-start-ms=\"" +
               std::to_string(a.start.count()) + "\" data-end-ms=\"" + std::to_string(end.count()) +
               "\" title=\"" + esc(attempt_title(l, a, end)) + "\"></div>";
        first = std::min(first, at(a.start));
        last = std::max(last, at(end));
        if (a.end && a.wait.count() > 0) {
          // The backoff lasts until the next attempt starts (or the step was given up).
          Millis until = *a.end + a.wait;
          if (i + 1 < s->attempts.size())
            until = s->attempts[i + 1].start;
          else if (s->settled_at && *s->settled_at > *a.end)
            until = *s->settled_at;
          out += "<div class=\"wait\" style=\"left:" + pct(at(*a.end)) +
                 ";width:" + pct(at(until) - at(*a.end)) + "\" title=\"" +
                 esc("backoff " + format_duration(a.wait) + " before attempt " +
                     std::to_string(a.attempt + 1)) +
                 "\"></div>";
          last = std::max(last, at(until));
        }
      }
      for (const FiringRecord& f : s->firings) {
        std::string what = "fired (" + std::to_string(f.count) + ") at " + show_offset(f.at);
        if (!f.triggers.empty()) {
          what += "; started";
          for (const std::string& t : f.triggers) what += " " + t;
        }
        if (at(f.at) + 1 >= last) gap = 12;  // the ⚡ sits at the end
        out += "<span class=\"fire\" style=\"left:" + pct(at(f.at)) + "\" data-at-ms=\"" +
               std::to_string(f.at.count()) + "\" title=\"" + esc(what) + "\">⚡</span>";
      }
    }
    std::string text;
    if (s && !s->attempts.empty()) {
      text = s->runs ? format_duration(s->duration) : "running";
      if (s->attempts.size() > 1) text += " · " + std::to_string(s->attempts.size()) + " attempts";
      if (!s->firings.empty()) {
        text += " · ⚡ fired " + std::to_string(s->firings.back().count) + "×";
        std::set<std::string> started;
        for (const FiringRecord& f : s->firings)
          started.insert(f.triggers.begin(), f.triggers.end());
        if (!started.empty()) text += " →";
        for (const std::string& t : started) text += " " + t;
      }
    } else if (s && s->state == StepState::Skipped) {
      first = last = at(s->settled_at.value_or(Millis(0)));
      out += "<span class=\"skip-mark\" style=\"left:" + pct(first) + "\"></span>";
      gap = 10;
      text =
          (s->skip_kind == SkipKind::NotReached ? "not reached: " : "skipped: ") + s->skip_reason;
    } else if (s && s->state == StepState::Failed) {  // failed before it could start
      first = last = at(s->settled_at.value_or(Millis(0)));
      out += "<span class=\"skip-mark failed\" style=\"left:" + pct(first) + "\"></span>";
      gap = 10;
      text = "failed before starting: " + s->message;
    } else {
      first = last = 0;
      text = run.finished() ? "not reached" : "not started yet";
    }
    out += "<span class=\"g-text\" style=\"" + beside(first, last, gap) + "\" title=\"" +
           esc(text) + "\">" + esc(text) + "</span></div></div>\n";
  }
  out += "</div>\n<div class=\"g-overlay\">";
  for (int64_t t = step; t < total; t += step)
    out += "<i class=\"grid\" style=\"left:" + pct(at(Millis(t))) + "\"></i>";
  if (run.aborted)
    out += "<i class=\"abort\" style=\"left:" + pct(at(run.aborted_at)) + "\" title=\"" +
           esc("run aborted at " + show_offset(run.aborted_at) + ": " + run.abort_reason) +
           "\"><b>" + esc(run.abort_reason.empty() ? "aborted" : "aborted: " + run.abort_reason) +
           "</b></i>";
  out += "</div>\n</div>\n";
  return out;
}

}  // namespace ordo::report
