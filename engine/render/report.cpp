// render_report: the HTML run report. Reading order = importance: the outcome and the root
// cause, then the graph, the timeline, every step, and the variables.
#include "report.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "report_html.h"
#include "state_dir.h"

namespace ordo {

namespace {

using report::esc;
using report::show_offset;
using report::state_class;
using report::state_label;

// Replaces each secret value by "***".
struct Redactor {
  std::vector<std::string> secrets;
  std::string operator()(std::string text) const {
    for (const std::string& s : secrets) {
      if (s.size() < 3) continue;  // too short to tell from ordinary text
      for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 3))
        text.replace(at, s.size(), "***");
    }
    return text;
  }
};

struct Outcome {
  std::string cls;   // CSS class
  std::string word;  // "FAILED"
};

Outcome outcome_of(const RunRecord& run) {
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

// What the step runs, and where that text comes from.
std::pair<std::string, std::string> command_of(const StepDecl* d, const StepRecord* s,
                                               const Registry* registry) {
  if (s && !s->command.empty()) return {s->command, "as run"};
  if (!d) return {"", ""};
  const ExecutorSpec* spec = nullptr;
  if (registry)
    if (const Executor* e = registry->find(d->kind)) spec = &e->spec();
  auto secret = [&](const std::string& key) {
    const ParamSpec* p = spec ? spec->find(key) : nullptr;
    return p && p->secret;
  };
  std::string text;
  const Value* argv = table_find(d->params, "argv");
  const Value* script = table_find(d->params, "script");
  if (d->kind == "exec" && argv && argv->is_list()) {
    for (const Value& w : argv->as_list())
      text += (text.empty() ? "" : " ") + shell_word(w.to_text());
  } else if (d->kind == "shell" && script && script->is_string()) {
    text = script->as_string();
    while (!text.empty() && text.back() == '\n') text.pop_back();
  } else {
    for (const auto& [k, v] : d->params)
      text += (text.empty() ? "" : "\n") + k + " = " + (secret(k) ? "\"***\"" : v.to_string());
  }
  if (!d->user.empty()) text = "# as user " + d->user.text + "\n" + text;
  return {text, "from the plan; ${…} not expanded"};
}

std::string counts_html(const RunRecord& run) {
  int n[7] = {};  // succeeded failed timed_out cancelled skipped not_reached running/not_run
  for (const StepRecord& s : run.steps) {
    std::string c = state_class(&s);
    if (c == "succeeded")
      ++n[0];
    else if (c == "failed")
      ++n[1];
    else if (c == "timed_out")
      ++n[2];
    else if (c == "cancelled")
      ++n[3];
    else if (c == "skipped")
      ++n[4];
    else if (c == "not_reached")
      ++n[5];
    else
      ++n[6];
  }
  static const char* const kNames[7][2] = {
      {"succeeded", "succeeded"}, {"failed", "failed"},   {"timed_out", "timed out"},
      {"cancelled", "cancelled"}, {"skipped", "skipped"}, {"not_reached", "not reached"},
      {"running", "unfinished"}};
  std::string out = "<p class=\"counts\">";
  for (int i = 0; i < 7; ++i)
    if (n[i])
      out += fmt::format("<span class=\"pill {}\">{} {}</span> ", kNames[i][0], n[i], kNames[i][1]);
  return out + "</p>\n";
}

class Report {
 public:
  explicit Report(const ReportInputs& in) : in_(in), run_(in.run), redact_{in.secret_values} {}

  std::string render() {
    critical_ = run_critical_path(in_.graph, run_);
    Outcome o = outcome_of(run_);
    std::string plan_name = run_.plan.empty() ? in_.plan.name : run_.plan;
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>" + esc(o.word + " · " + plan_name + " · run " + run_.run_id) + "</title>\n";
    out_ += std::string("<style>\n") + report::kReportCss + "</style>\n</head>\n";
    out_ += "<body class=\"o-" + o.cls + "\">\n";
    header(o, plan_name);
    banner();
    out_ +=
        "<nav class=\"toc\"><a href=\"#graph\">Graph</a><a href=\"#timeline\">Timeline</a>"
        "<a href=\"#steps\">Steps</a><button type=\"button\" id=\"expand-all\">expand all "
        "logs</button></nav>\n";
    graph();
    timeline();
    steps();
    out_ += "<footer>ordo run report · record: " + esc(in_.record_path) +
            (in_.run_dir.empty() ? "" : " · logs: " + esc(in_.run_dir) + "/steps/") +
            (run_.torn_lines ? " · the record's last line was cut off and ignored" : "") +
            "</footer>\n";
    out_ += std::string("<script>\n") + report::kReportJs + "</script>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  const StepDecl* decl(const std::string& id) const { return in_.plan.find_step(id); }
  std::string link(const std::string& id) const {
    return "<a href=\"#step-" + esc(id) + "\">" + esc(id) + "</a>";
  }

  void header(const Outcome& o, const std::string& plan_name) {
    out_ += "<header class=\"hdr\">\n<div class=\"hdr-main\">\n";
    out_ += "<div class=\"outcome " + o.cls + "\">" + esc(o.word) + "</div>\n";
    out_ += "<h1>" + esc(plan_name) + "</h1>\n";
    if (!in_.plan.description.empty())
      out_ += "<p class=\"desc\">" + esc(in_.plan.description) + "</p>\n";
    out_ += counts_html(run_);
    out_ += "</div>\n<dl class=\"facts\">\n";
    auto fact = [&](const std::string& k, const std::string& v) {
      if (!v.empty()) out_ += "<dt>" + esc(k) + "</dt><dd>" + esc(v) + "</dd>\n";
    };
    auto start = report::parse_utc(run_.started_at);
    fact("run", run_.run_id);
    fact("host", run_.host);
    fact("started", start ? report::show_utc(*start) : run_.started_at);
    if (run_.finished())
      fact("ended", (start ? report::show_utc(*start + run_.duration) : run_.last_at) + " · took " +
                        format_duration(run_.duration));
    else
      fact("last record", (start ? report::show_utc(*start + run_.last_mono) : run_.last_at) +
                              " · no run_finished record");
    fact("plan file", run_.path);
    if (run_.jobs) fact("parallel", "-j " + std::to_string(run_.jobs));
    out_ += "</dl>\n";
    vars();
    out_ += "</header>\n";
  }

  void vars() {
    out_ += "<div class=\"vars\"><h3>Variables</h3>";
    if (run_.vars.empty())
      out_ += "<p class=\"muted\">none</p>";
    else
      out_ += "<table>";
    for (const auto& [name, value] : run_.vars) {
      const VarDecl* vd = in_.plan.find_var(name);
      bool secret = (vd && vd->secret) || (value.is_string() && value.as_string() == "***");
      std::string shown = secret
                              ? "*** (secret)"
                              : redact_(value.is_string() ? value.as_string() : value.to_string());
      out_ += "<tr><th title=\"" + esc(vd ? vd->description : "") + "\">" + esc(name) + "</th><td" +
              (secret ? " class=\"secret\"" : "") + ">" + esc(shown) + "</td></tr>";
    }
    if (!run_.vars.empty()) out_ += "</table>";
    out_ += "</div>\n";
  }

  // The lines to show under a root cause: its recorded output, else the end of its log.
  std::vector<std::pair<std::string, std::string>> cause_output(const StepRecord& s,
                                                                size_t n) const {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const OutputLine& l : s.output_tail) lines.push_back({l.stream, l.line});
    if (lines.empty() && !in_.run_dir.empty())
      for (const std::string& l : tail_lines(in_.run_dir + "/steps/" + s.id + ".log", 200))
        if (l.rfind("ordo: ", 0) != 0) lines.push_back({"", l});
    if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
    return lines;
  }

  std::string attempts_text(const StepRecord& s) const {
    int n = static_cast<int>(s.attempts.size());
    const StepDecl* d = decl(s.id);
    std::string t = std::to_string(n) + (n == 1 ? " attempt" : " attempts");
    if (d && d->retries.attempts > 1) t += " of " + std::to_string(d->retries.attempts);
    return t;
  }

  void cause_block(const StepRecord& s) {
    const StepDecl* d = decl(s.id);
    std::string what = s.state == StepState::TimedOut    ? "timed out"
                       : s.state == StepState::Cancelled ? "was cancelled"
                       : s.state == StepState::Running   ? "was running"
                                                         : "failed";
    out_ += "<div class=\"cause\" data-step=\"" + esc(s.id) +
            "\">\n<h2><span class=\"tag\">Root "
            "cause</span> " +
            link(s.id) + " " + esc(what) +
            (s.message.empty() ? "" : ": " + esc(redact_(s.message))) + "</h2>\n";
    std::vector<std::string> sub;
    if (d && !d->description.empty()) sub.push_back(d->description);
    if (!s.kind.empty() || d) sub.push_back(!s.kind.empty() ? s.kind : d->kind);
    if (s.exit_code >= 0) sub.push_back("exit code " + std::to_string(s.exit_code));
    if (!s.attempts.empty()) sub.push_back(attempts_text(s));
    if (s.runs) sub.push_back("ran " + format_duration(s.duration));
    if (auto st = s.first_start()) sub.push_back("started at " + show_offset(*st));
    std::string line;
    for (const std::string& x : sub) line += (line.empty() ? "" : " · ") + x;
    out_ += "<p class=\"sub\">" + esc(line) + "</p>\n";
    auto lines = cause_output(s, 10);
    if (!lines.empty()) {
      out_ += "<pre class=\"tail\">";
      for (const auto& [stream, text] : lines)
        out_ += "<span class=\"" + (stream.empty() ? "out" : esc(stream)) + "\">" +
                esc(redact_(text)) + "</span>\n";
      out_ += "</pre>\n";
    }
    effects(s.id);
    out_ += "</div>\n";
  }

  // What followed from a failure: steps skipped because of it, handlers, cleanups.
  void effects(const std::string& cause) {
    std::vector<std::string> blocked, handlers, cleanup;
    for (const StepRecord& s : run_.steps) {
      if (s.state == StepState::Skipped && s.skip_cause == cause) blocked.push_back(link(s.id));
      const StepDecl* d = decl(s.id);
      if (!d) continue;
      for (const StepRef& r : d->on_failure)
        if (r.id == cause) handlers.push_back(link(s.id) + " " + esc(state_label(&s)));
      if (d->always) cleanup.push_back(link(s.id) + " " + esc(state_label(&s)));
    }
    auto item = [&](const char* title, const std::vector<std::string>& xs) {
      if (xs.empty()) return;
      out_ += std::string("<li><b>") + title + "</b> ";
      for (size_t i = 0; i < xs.size(); ++i) out_ += (i ? ", " : "") + xs[i];
      out_ += "</li>\n";
    };
    if (blocked.empty() && handlers.empty() && cleanup.empty()) return;
    out_ += "<ul class=\"effects\">\n";
    item("Skipped because of it:", blocked);
    item("Failure handlers:", handlers);
    item("Cleanup:", cleanup);
    out_ += "</ul>\n";
  }

  void banner() {
    Outcome o = outcome_of(run_);
    out_ += "<section class=\"banner " + o.cls + "\" id=\"summary\">\n";
    std::vector<const StepRecord*> causes;
    for (const std::string& id : run_.root_causes)
      if (const StepRecord* s = run_.find(id)) causes.push_back(s);
    if (causes.empty() && !run_.abort_cause.empty())
      if (const StepRecord* s = run_.find(run_.abort_cause)) causes.push_back(s);
    if (!run_.outcome) {
      out_ += "<h2>This run has no end record</h2>\n<p>The record stops at " +
              esc(show_offset(run_.last_mono)) +
              ": ordo was killed (or the machine went down), or the run is still going.";
      std::string running;
      for (const StepRecord& s : run_.steps)
        if (s.state == StepState::Running) running += (running.empty() ? " " : ", ") + link(s.id);
      if (!running.empty()) out_ += " Running at that moment:" + running + ".";
      out_ += "</p>\n";
    } else if (*run_.outcome == RunOutcome::Interrupted) {
      out_ += "<h2>Interrupted" + (run_.abort_reason.empty() ? "" : ": " + esc(run_.abort_reason)) +
              "</h2>\n";
    } else if (*run_.outcome == RunOutcome::Refused) {
      out_ += "<h2>Refused: a gate answered no</h2>\n";
    } else if (*run_.outcome == RunOutcome::Succeeded) {
      int ran = 0;
      std::string skipped;
      for (const StepRecord& s : run_.steps) {
        ran += s.state == StepState::Succeeded;
        if (s.state == StepState::Skipped)
          skipped += (skipped.empty() ? "" : ", ") + link(s.id) + " (" + esc(s.skip_reason) + ")";
      }
      out_ += "<h2>All done in " + esc(format_duration(run_.duration)) + ": " +
              std::to_string(ran) + (ran == 1 ? " step" : " steps") + " succeeded</h2>\n";
      if (!skipped.empty()) out_ += "<p>Not needed this time: " + skipped + "</p>\n";
      std::string handled;
      for (const StepRecord& s : run_.steps)
        if (s.state == StepState::Failed || s.state == StepState::TimedOut)
          handled += (handled.empty() ? "" : ", ") + link(s.id);
      if (!handled.empty())
        out_ += "<p>Failed and handled (the run still succeeded): " + handled + "</p>\n";
    }
    for (const StepRecord* s : causes) cause_block(*s);
    out_ += "</section>\n";
  }

  void graph() {
    out_ += "<section id=\"graph\">\n<h2>Graph</h2>\n<p class=\"legend\">";
    for (const char* s :
         {"succeeded", "failed", "timed_out", "cancelled", "skipped", "not_reached", "running"}) {
      std::string words = s;
      std::replace(words.begin(), words.end(), '_', ' ');
      out_ += std::string("<span class=\"sw ") + s + "\"></span>" + words + " ";
    }
    out_ +=
        "<span class=\"edges\">→ requires · ⇢ after (dashed) · <span class=\"red\">→ on "
        "failure</span> · ⋯ watches (dotted) · <span class=\"orange\">⚡ fires</span> · "
        "hexagon: watcher · double border: always runs</span></p>\n";
    RenderOptions ro = run_render_options(in_.plan, run_);
    ro.href_prefix = "#step-";
    Result<std::string> svg = render_svg(in_.plan, in_.graph, ro);
    if (!svg.ok()) {
      out_ += "<p class=\"warn\">No graph drawing: " + esc(svg.error().str()) +
              ". Everything else in this report is complete.</p>\n</section>\n";
      return;
    }
    std::string s = std::move(svg).value();
    size_t at = s.find("<svg");
    s = at == std::string::npos ? "" : s.substr(at);
    // Scale down to the page, keep the aspect ratio (the viewBox stays).
    s.replace(0, 4, "<svg class=\"graph\" role=\"img\"");
    out_ += "<div class=\"graph-box\">" + s + "</div>\n</section>\n";
  }

  void timeline() {
    out_ +=
        "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p class=\"legend\">"
        "<span class=\"sw bar-s\"></span>attempt (colour = outcome) "
        "<span class=\"sw k-wait\"></span>backoff wait before a retry "
        "<span class=\"fire-key\">⚡</span>watcher fired "
        "<span class=\"sw crit\"></span>critical path";
    if (!critical_.empty()) {
      out_ += ": ";
      for (size_t i = 0; i < critical_.size(); ++i) out_ += (i ? " → " : "") + link(critical_[i]);
    }
    out_ += "</p>\n" + report::timeline_html(in_.plan, run_, critical_) + "</section>\n";
  }

  void steps() {
    out_ +=
        "<section id=\"steps\">\n<h2>Steps</h2>\n<div class=\"step-head\"><span>state</span>"
        "<span>step</span><span>description</span><span>kind</span><span>start</span>"
        "<span>took</span><span>exit</span><span>attempts</span></div>\n";
    std::vector<std::string> ids;
    for (const StepRecord& s : run_.steps) ids.push_back(s.id);
    for (const StepDecl& d : in_.plan.steps)
      if (!run_.find(d.id)) ids.push_back(d.id);
    for (const std::string& id : ids) step_row(id);
    out_ += "</section>\n";
  }

  void step_row(const std::string& id) {
    const StepRecord* s = run_.find(id);
    const StepDecl* d = decl(id);
    std::string cls = state_class(s);
    bool bad = cls == "failed" || cls == "timed_out" || cls == "cancelled";
    out_ += "<section class=\"step-row st-" + cls + "\" id=\"step-" + esc(id) + "\" data-step=\"" +
            esc(id) + "\">\n<div class=\"row-head\">";
    out_ += "<span><span class=\"pill " + cls + "\">" + esc(state_label(s)) + "</span></span>";
    out_ += "<span class=\"sid\">" + esc(id) + (d && d->always ? " <i>always</i>" : "") +
            (s && s->watcher ? " <i>watcher</i>" : "") + "</span>";
    out_ +=
        "<span class=\"sdesc\">" + esc(d ? d->description : "(not in this plan file)") + "</span>";
    out_ += "<span class=\"skind\">" +
            esc(s && !s->kind.empty() ? s->kind
                : d                   ? d->kind
                                      : "") +
            "</span>";
    auto start = s ? s->first_start() : std::nullopt;
    out_ += "<span class=\"num\">" + (start ? esc(show_offset(*start)) : "") + "</span>";
    out_ += "<span class=\"num\">" + (s && s->runs ? esc(format_duration(s->duration)) : "") +
            "</span>";
    out_ += "<span class=\"num\">" +
            (s && s->runs && s->exit_code >= 0 ? std::to_string(s->exit_code) : "") + "</span>";
    out_ += "<span class=\"num\">" + (s && !s->attempts.empty() ? esc(attempts_text(*s)) : "") +
            "</span></div>\n";

    std::string note;
    if (s && s->state == StepState::Skipped)
      note = s->skip_reason;
    else if (s && !s->message.empty())
      note = s->message;
    if (s && s->runs > 1)
      note += (note.empty() ? "" : " · ") + ("ran " + std::to_string(s->runs) + " times");
    if (s && !s->firings.empty())
      note +=
          (note.empty() ? "" : " · ") + ("fired " + std::to_string(s->firings.back().count) + "×");
    if (!note.empty()) out_ += "<div class=\"row-note\">" + esc(redact_(note)) + "</div>\n";
    if (s)
      for (const std::string& w : s->warnings)
        out_ += "<div class=\"row-note warn\">warning: " + esc(redact_(w)) + "</div>\n";

    auto [cmd, from] = command_of(d, s, in_.registry);
    std::vector<std::pair<std::string, std::string>> log;  // (class, line)
    std::string log_name;
    long total = 0;
    if (!in_.run_dir.empty()) {
      std::string path = in_.run_dir + "/steps/" + id + ".log";
      for (std::string& l : tail_lines(path, in_.log_lines))
        log.push_back({l.rfind("ordo: ", 0) == 0 ? "meta" : "out", std::move(l)});
      if (!log.empty()) log_name = "steps/" + id + ".log";
    }
    if (log.empty() && s) {
      size_t from_i =
          s->output_tail.size() > in_.log_lines ? s->output_tail.size() - in_.log_lines : 0;
      for (size_t i = from_i; i < s->output_tail.size(); ++i)
        log.push_back({s->output_tail[i].stream, s->output_tail[i].line});
      total = s->output_lines;
      if (!log.empty()) log_name = "output in the record";
    }
    out_ +=
        std::string("<details class=\"more\"") + (bad ? " open" : "") + "><summary>" +
        (log.empty()
             ? std::string("command · no output")
             : "command · log (last " + std::to_string(log.size()) + " lines" +
                   (total > static_cast<long>(log.size()) ? " of " + std::to_string(total) : "") +
                   ")") +
        "</summary>\n";
    if (!cmd.empty())
      out_ += "<div class=\"cmd\"><span class=\"k\">command <i>(" + esc(from) +
              ")</i></span><pre>" + esc(redact_(cmd)) + "</pre></div>\n";
    if (s && !s->outputs.empty()) {
      out_ += "<div class=\"outs\"><span class=\"k\">outputs</span><code>";
      bool first = true;
      for (const auto& [k, v] : s->outputs) {
        std::string text = v.to_string();
        if (text.size() > 200) text = text.substr(0, 200) + "…";
        out_ += (first ? "" : " · ") + esc(k) + " = " + esc(redact_(text));
        first = false;
      }
      out_ += "</code></div>\n";
    }
    if (s)
      for (const FiringRecord& f : s->firings) {
        std::string text = "at " + show_offset(f.at);
        if (!f.triggers.empty()) {
          text += ", started";
          for (const std::string& t : f.triggers) text += " " + t;
        }
        std::string details;
        for (const auto& [k, v] : f.details)
          details += (details.empty() ? "" : " · ") + k + " = " + v.to_text();
        out_ += "<div class=\"fires\"><span class=\"k\">⚡ fired (" + std::to_string(f.count) +
                ")</span>" + esc(text) +
                (details.empty() ? "" : ": <code>" + esc(redact_(details)) + "</code>") +
                "</div>\n";
      }
    if (!log.empty()) {
      out_ += "<div class=\"k\">" + esc(log_name) + "</div><pre class=\"log\">";
      for (const auto& [c, l] : log)
        out_ += "<span class=\"" + esc(c) + "\">" + esc(redact_(l)) + "</span>\n";
      out_ += "</pre>\n";
    }
    out_ += "</details>\n</section>\n";
  }

  const ReportInputs& in_;
  const RunRecord& run_;
  Redactor redact_;
  std::vector<std::string> critical_;
  std::string out_;
};

}  // namespace

std::string render_report(const ReportInputs& in) {
  return Report(in).render();
}

Status write_report(const Plan& plan, const Graph& graph, const ReportFiles& files,
                    const Registry* registry, const std::vector<std::string>& secret_values) {
  Result<RunRecord> run = read_run_record(files.record_path);
  if (!run.ok()) return run.take_error();
  if (!run->plan.empty() && run->plan != plan.name)
    return make_error(files.record_path + " is a run of plan '" + run->plan + "', not '" +
                      plan.name + "'");
  std::string run_dir = files.run_dir;
  std::error_code ec;
  if (run_dir.empty() && !files.state_dir.empty()) {
    std::string dir = run_dir_of(files.state_dir, run->plan, run->run_id);
    if (std::filesystem::is_directory(dir, ec)) run_dir = dir;
  }
  ReportInputs in{plan, graph, *run, run_dir, files.record_path, registry, secret_values};
  std::string html = render_report(in);
  if (Status st = create_private_file(files.out_path); !st.ok()) return st;
  std::ofstream f(files.out_path, std::ios::binary | std::ios::trunc);
  f << html;
  f.close();
  if (!f) return make_error("cannot write " + files.out_path);
  return Ok{};
}

}  // namespace ordo
