// A run seen through the graph: colours, notes and watcher firings for the renderers, and the
// critical path of the run as it happened.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "report.h"

namespace ordo {

namespace {

std::string shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return s.substr(0, cut) + "…";
}

// "3 attempts", "ran 2×", "" for one attempt of one run.
std::string repeats(const StepRecord& s) {
  std::string out;
  int last_run_attempts = 0;
  for (const AttemptRecord& a : s.attempts)
    if (a.run == s.attempts.back().run) ++last_run_attempts;
  if (s.runs > 1) out = "ran " + std::to_string(s.runs) + "×";
  if (last_run_attempts > 1)
    out += (out.empty() ? "" : " · ") + std::to_string(last_run_attempts) + " attempts";
  return out;
}

std::string join_detail(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts)
    if (!p.empty()) out += (out.empty() ? "" : " · ") + p;
  return out;
}

// When step `s` was released by predecessor `p` along an edge of kind `k`, if it was.
std::optional<Millis> release_time(EdgeKind k, const StepRecord& p, Millis start) {
  switch (k) {
    case EdgeKind::Requires:
    case EdgeKind::After:
    case EdgeKind::OnFailure:
      return p.settled_at;
    case EdgeKind::Watches:  // p is the watched step; the watcher started with it
      return p.first_start();
    case EdgeKind::TriggeredBy: {  // p is the watcher: its last firing before the start
      std::optional<Millis> at;
      for (const FiringRecord& f : p.firings)
        if (f.at <= start) at = f.at;
      return at;
    }
  }
  return std::nullopt;
}

}  // namespace

RenderOptions run_render_options(const Plan& plan, const RunRecord& run) {
  RenderOptions o;
  for (const StepDecl& d : plan.steps) {
    const StepRecord* s = run.find(d.id);
    if (s && !s->firings.empty()) o.fired[d.id] = s->firings.back().count;
    StepState state = s ? s->state : StepState::NotRun;
    std::string duration = s && s->runs ? format_duration(s->duration) : "";
    switch (state) {
      case StepState::NotRun:
        if (run.finished()) {
          o.state[d.id] = "not_reached";
          o.note[d.id] = "not started";
        }
        break;
      case StepState::Running:
        o.state[d.id] = run.finished() ? "cancelled" : "running";
        o.note[d.id] = run.finished() ? "started, never finished" : "running when the record ends";
        break;
      case StepState::Succeeded:
        o.state[d.id] = "succeeded";
        o.detail[d.id] = join_detail({duration, repeats(*s)});
        break;
      case StepState::Failed:
      case StepState::TimedOut:
      case StepState::Cancelled:
        o.state[d.id] = step_state_name(state);
        o.note[d.id] = join_detail({s->message, repeats(*s)});
        o.detail[d.id] = join_detail(
            {s->exit_code >= 0 ? "exit " + std::to_string(s->exit_code) : "", duration});
        break;
      case StepState::Skipped:
        o.state[d.id] = s->skip_kind == SkipKind::NotReached ? "not_reached" : "skipped";
        o.note[d.id] = s->skip_reason;
        if (s->skip_kind == SkipKind::Blocked && !s->skip_cause.empty())
          o.detail[d.id] = "blocked by " + s->skip_cause;
        else if (s->skip_reason.rfind("condition false", 0) == 0)
          o.detail[d.id] = "condition false";
        else if (s->skip_kind != SkipKind::NotReached)
          o.detail[d.id] = shorten(s->skip_reason, 28);
        break;
    }
  }
  return o;
}

std::vector<std::string> run_critical_path(const Graph& graph, const RunRecord& run) {
  const int n = static_cast<int>(graph.size());
  auto rec = [&](int v) { return run.find(graph.id(v)); };
  // The non-watcher step that settled last (latest end; ties: declaration order).
  int last = -1;
  Millis last_end{-1};
  for (int v = 0; v < n; ++v) {
    const StepRecord* s = rec(v);
    if (!s || s->watcher || !s->first_start() || !s->settled_at) continue;
    if (*s->settled_at > last_end) {
      last = v;
      last_end = *s->settled_at;
    }
  }
  std::vector<std::string> path;
  // Walk back: the predecessor that released v last, at or before v started.
  for (int v = last; v >= 0 && path.size() <= graph.size();) {
    path.push_back(graph.id(v));
    const StepRecord* s = rec(v);
    Millis start = *s->first_start();
    int best = -1;
    Millis best_at{-1};
    for (int ei : graph.in_edges(v)) {
      const Edge& e = graph.edges()[ei];
      const StepRecord* p = rec(e.from);
      if (!p || !p->first_start()) continue;
      std::optional<Millis> at = release_time(e.kind, *p, start);
      if (at && *at <= start && *at > best_at) {
        best = e.from;
        best_at = *at;
      }
    }
    v = best;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<std::string> secret_var_values(const Plan& plan, const VarValues& vars) {
  std::vector<std::string> out;
  for (const VarDecl& v : plan.vars) {
    auto it = vars.find(v.name);
    if (!v.secret || it == vars.end()) continue;
    std::string text = it->second.to_text();
    if (!text.empty()) out.push_back(text);
  }
  return out;
}

std::vector<std::string> tail_lines(const std::string& path, size_t n) {
  std::vector<std::string> lines;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lines;
  constexpr off_t kMax = 256 * 1024;
  off_t size = ::lseek(fd, 0, SEEK_END);
  off_t from = size > kMax ? size - kMax : 0;
  std::string text;
  if (size > 0 && ::lseek(fd, from, SEEK_SET) == from) {
    text.resize(static_cast<size_t>(size - from));
    size_t got = 0;
    while (got < text.size()) {
      ssize_t r = ::read(fd, text.data() + got, text.size() - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    text.resize(got);
  }
  ::close(fd);
  // Starting mid-file: the first (partial) line is dropped.
  size_t at = 0;
  if (from > 0) at = text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
  return lines;
}

}  // namespace ordo
