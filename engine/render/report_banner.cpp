// The report's banner: what happened, in one sentence, and for a failure the root cause — its
// message, the last lines of its output, and what followed from it.
#include "report_html.h"

namespace ordo::report {

namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;  // (stream, text)

// The lines to show under a root cause: its recorded output, else the end of its log.
Lines cause_output(const Context& c, const StepRecord& s, size_t n) {
  Lines lines;
  for (const OutputLine& l : s.output_tail) lines.push_back({l.stream, l.line});
  if (lines.empty() && !c.in.run_dir.empty())
    for (const std::string& l : tail_lines(c.in.run_dir + "/steps/" + s.id + ".log", 200))
      if (l.rfind("ordo: ", 0) != 0) lines.push_back({"", l});
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
  return lines;
}

// What followed from a failure: steps skipped because of it, handlers, cleanups.
std::string effects(const Context& c, const std::string& cause) {
  std::vector<std::string> blocked, handlers, cleanup;
  for (const StepRecord& s : c.run().steps) {
    if (s.state == StepState::Skipped && s.skip_cause == cause) blocked.push_back(c.link(s.id));
    const StepDecl* d = c.decl(s.id);
    if (!d) continue;
    for (const StepRef& r : d->on_failure)
      if (r.id == cause) handlers.push_back(c.link(s.id) + " " + esc(state_label(&s)));
    if (d->always) cleanup.push_back(c.link(s.id) + " " + esc(state_label(&s)));
  }
  if (blocked.empty() && handlers.empty() && cleanup.empty()) return "";
  std::string out = "<ul class=\"effects\">\n";
  auto item = [&](const char* title, const std::vector<std::string>& xs) {
    if (xs.empty()) return;
    // A failure early in a big plan can skip thousands: the first ones, the rest folded.
    constexpr size_t kShown = 20;
    out += std::string("<li><b>") + title + "</b> ";
    for (size_t i = 0; i < xs.size() && (i < kShown || xs.size() == kShown + 1); ++i)
      out += (i ? ", " : "") + xs[i];
    if (xs.size() > kShown + 1) {
      out += " <details class=\"folded\"><summary>and " + std::to_string(xs.size() - kShown) +
             " more</summary>";
      for (size_t i = kShown; i < xs.size(); ++i) out += (i > kShown ? ", " : "") + xs[i];
      out += "</details>";
    }
    out += "</li>\n";
  };
  item("Skipped because of it:", blocked);
  item("Failure handlers:", handlers);
  item("Cleanup:", cleanup);
  return out + "</ul>\n";
}

std::string cause_block(const Context& c, const StepRecord& s) {
  const StepDecl* d = c.decl(s.id);
  std::string what = s.state == StepState::TimedOut    ? "timed out"
                     : s.state == StepState::Cancelled ? "was cancelled"
                     : s.state == StepState::Running   ? "was running"
                                                       : "failed";
  // "slow timed out after 1.5s", not "slow timed out: timed out after 1.5s".
  std::string message = c.redact(s.message);
  std::string headline = message.empty()               ? what
                         : message.rfind(what, 0) == 0 ? message
                                                       : what + ": " + message;
  std::string out = "<div class=\"cause\" data-step=\"" + esc(s.id) +
                    "\">\n<h2><span class=\"tag\">" +
                    (c.run().outcome == RunOutcome::Refused ? "Answered no" : "Root cause") +
                    "</span> " + c.link(s.id) + " " + esc(headline) + "</h2>\n";
  std::vector<std::string> sub;
  if (d && !d->description.empty()) sub.push_back(d->description);
  if (!s.kind.empty() || d) sub.push_back(!s.kind.empty() ? s.kind : d->kind);
  if (s.exit_code >= 0) sub.push_back("exit code " + std::to_string(s.exit_code));
  if (!s.attempts.empty()) sub.push_back(c.attempts_text(s));
  if (s.runs) sub.push_back("ran " + format_duration(s.duration));
  if (auto st = s.first_start()) sub.push_back("started at " + show_offset(*st));
  std::string line;
  for (const std::string& x : sub) line += (line.empty() ? "" : " · ") + x;
  out += "<p class=\"sub\">" + esc(line) + "</p>\n";
  Lines lines = cause_output(c, s, 10);
  if (!lines.empty()) {
    out += "<pre class=\"tail\">";
    for (const auto& [stream, text] : lines)
      out += "<span class=\"" + (stream.empty() ? "out" : esc(stream)) + "\">" +
             esc(c.redact(text)) + "</span>\n";
    out += "</pre>\n";
  }
  return out + effects(c, s.id) + "</div>\n";
}

// Ids as links, comma-separated, of the steps that `pick` selects.
template <class Pick>
std::string links(const Context& c, Pick pick) {
  std::string out;
  for (const StepRecord& s : c.run().steps)
    if (pick(s)) out += (out.empty() ? "" : ", ") + c.link(s.id);
  return out;
}

std::string sentence(const Context& c) {
  const RunRecord& run = c.run();
  if (!run.outcome) {
    std::string running =
        links(c, [](const StepRecord& s) { return s.state == StepState::Running; });
    return "<h2>This run has no end record</h2>\n<p>The record stops at " +
           esc(show_offset(run.last_mono)) +
           ": ordo was killed (or the machine went down), or the run is still going." +
           (running.empty() ? "" : " Running at that moment: " + running + ".") + "</p>\n";
  }
  switch (*run.outcome) {
    case RunOutcome::Interrupted: {
      std::string out =
          "<h2>Interrupted after " + esc(format_duration(run.duration)) + "</h2>\n<p>" +
          (run.interrupts > 1 ? "ordo was interrupted " + std::to_string(run.interrupts) +
                                    " times (SIGINT/SIGTERM): it stopped the running steps and "
                                    "skipped the cleanup."
                              : "ordo was interrupted (SIGINT/SIGTERM): it stopped the running "
                                "steps, then ran the cleanup steps.") +
          "</p>\n";
      std::string stopped =
          links(c, [](const StepRecord& s) { return s.state == StepState::Cancelled; });
      std::string not_run = links(c, [](const StepRecord& s) {
        return s.state == StepState::Skipped && s.skip_kind != SkipKind::NotApplicable;
      });
      if (!stopped.empty()) out += "<p><b>Stopped while running:</b> " + stopped + "</p>\n";
      if (!not_run.empty()) out += "<p><b>Not run because of it:</b> " + not_run + "</p>\n";
      return out;
    }
    case RunOutcome::Refused:
      return "<h2>Refused: a gate answered no</h2>\n";
    case RunOutcome::Succeeded: {
      int ran = 0;
      std::string skipped;
      for (const StepRecord& s : run.steps) {
        ran += s.state == StepState::Succeeded;
        if (s.state == StepState::Skipped)
          skipped += (skipped.empty() ? "" : ", ") + c.link(s.id) + " (" + esc(s.skip_reason) + ")";
      }
      std::string out = "<h2>All done in " + esc(format_duration(run.duration)) + ": " +
                        std::to_string(ran) + (ran == 1 ? " step" : " steps") + " succeeded</h2>\n";
      if (!skipped.empty()) out += "<p>Not needed this time: " + skipped + "</p>\n";
      std::string handled = links(c, [](const StepRecord& s) {
        return s.state == StepState::Failed || s.state == StepState::TimedOut;
      });
      if (!handled.empty())
        out += "<p>Failed and handled (the run still succeeded): " + handled + "</p>\n";
      return out;
    }
    case RunOutcome::Failed:
      break;
  }
  return "";
}

}  // namespace

std::string banner_html(const Context& c) {
  const RunRecord& run = c.run();
  std::string out =
      "<section class=\"banner " + outcome_of(run).cls + "\" id=\"summary\">\n" + sentence(c);
  std::vector<const StepRecord*> causes;
  for (const std::string& id : run.root_causes)
    if (const StepRecord* s = run.find(id)) causes.push_back(s);
  if (causes.empty() && !run.abort_cause.empty())
    if (const StepRecord* s = run.find(run.abort_cause)) causes.push_back(s);
  for (const StepRecord* s : causes) out += cause_block(c, *s);
  return out + "</section>\n";
}

}  // namespace ordo::report
