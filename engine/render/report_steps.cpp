// The report's steps: one row per step (state, id, description, kind, start, duration, exit
// code, attempts) with a note, and under it, collapsible, the command, the outputs, the
// watcher's firings and the last lines of its log. Failed steps are open.
#include "report_html.h"

namespace ordo::report {

namespace {

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
  if (d->user && !d->user->empty()) text = "# as user " + d->user->text + "\n" + text;
  return {text, "from the plan; ${…} not expanded"};
}

using Lines = std::vector<std::pair<std::string, std::string>>;  // (CSS class, text)

// The end of the step's log file, else the output kept in the record; and where it is from.
std::pair<Lines, std::string> log_of(const Context& c, const std::string& id, const StepRecord* s) {
  Lines log;
  if (!c.in.run_dir.empty()) {
    for (std::string& l : tail_lines(c.in.run_dir + "/steps/" + id + ".log", c.in.log_lines))
      log.push_back({l.rfind("ordo: ", 0) == 0 ? "meta" : "out", std::move(l)});
    if (!log.empty()) return {log, "steps/" + id + ".log"};
  }
  if (!s || s->output_tail.empty()) return {log, ""};
  size_t n = c.in.log_lines, size = s->output_tail.size();
  for (size_t i = size > n ? size - n : 0; i < size; ++i)
    log.push_back({s->output_tail[i].stream, s->output_tail[i].line});
  std::string from = "output in the record";
  if (s->output_lines > static_cast<long>(log.size()))
    from += " (last " + std::to_string(log.size()) + " of " + std::to_string(s->output_lines) +
            " lines)";
  return {log, from};
}

std::string row_head(const Context& c, const std::string& id, const StepRecord* s,
                     const StepDecl* d) {
  std::string cls = state_class(s);
  std::string kind = s && !s->kind.empty() ? s->kind : d ? d->kind : "";
  auto start = s ? s->first_start() : std::nullopt;
  return "<div class=\"row-head\"><span><span class=\"pill " + cls + "\">" + esc(state_label(s)) +
         "</span></span><span class=\"sid\">" + esc(id) + (d && d->always ? " <i>always</i>" : "") +
         (s && s->watcher ? " <i>watcher</i>" : "") + "</span><span class=\"sdesc\">" +
         esc(d ? d->description : "(not in this plan file)") + "</span><span class=\"skind\">" +
         esc(kind) + "</span><span class=\"num\">" + (start ? esc(show_offset(*start)) : "") +
         "</span><span class=\"num\">" + (s && s->runs ? esc(format_duration(s->duration)) : "") +
         "</span><span class=\"num\">" +
         (s && s->runs && s->exit_code >= 0 ? std::to_string(s->exit_code) : "") +
         "</span><span class=\"num\">" +
         (s && !s->attempts.empty() ? esc(c.attempts_text(*s)) : "") + "</span></div>\n";
}

std::string notes(const Context& c, const StepRecord* s) {
  if (!s) return "";
  std::string note = s->state == StepState::Skipped ? s->skip_reason : s->message;
  auto add = [&](const std::string& x) { note += (note.empty() ? "" : " · ") + x; };
  if (s->runs > 1) add("ran " + std::to_string(s->runs) + " times");
  if (!s->firings.empty()) add("fired " + std::to_string(s->firings.back().count) + "×");
  std::string out;
  if (!note.empty()) out += "<div class=\"row-note\">" + esc(c.redact(note)) + "</div>\n";
  for (const std::string& w : s->warnings)
    out += "<div class=\"row-note warn\">warning: " + esc(c.redact(w)) + "</div>\n";
  return out;
}

std::string outputs_and_firings(const Context& c, const StepRecord* s) {
  if (!s) return "";
  std::string out;
  if (!s->outputs.empty()) {
    out += "<div class=\"outs\"><span class=\"k\">outputs</span><code>";
    bool first = true;
    for (const auto& [k, v] : s->outputs) {
      std::string text = v.to_string();
      if (text.size() > 200) text = text.substr(0, 200) + "…";
      out += (first ? "" : " · ") + esc(k) + " = " + esc(c.redact(text));
      first = false;
    }
    out += "</code></div>\n";
  }
  for (const FiringRecord& f : s->firings) {
    std::string text = "at " + show_offset(f.at);
    if (!f.triggers.empty()) {
      text += ", started";
      for (const std::string& t : f.triggers) text += " " + t;
    }
    std::string details;
    for (const auto& [k, v] : f.details)
      details += (details.empty() ? "" : " · ") + k + " = " + v.to_text();
    out += "<div class=\"fires\"><span class=\"k\">⚡ fired (" + std::to_string(f.count) +
           ")</span>" + esc(text) +
           (details.empty() ? "" : ": <code>" + esc(c.redact(details)) + "</code>") + "</div>\n";
  }
  return out;
}

std::string step_row(const Context& c, const std::string& id) {
  const StepRecord* s = c.run().find(id);
  const StepDecl* d = c.decl(id);
  std::string cls = state_class(s);
  bool bad = cls == "failed" || cls == "timed_out" || cls == "cancelled";
  std::string out = "<section class=\"step-row st-" + cls + "\" id=\"step-" + esc(id) +
                    "\" data-step=\"" + esc(id) + "\">\n" + row_head(c, id, s, d) + notes(c, s);

  auto [cmd, cmd_from] = command_of(d, s, c.in.registry);
  auto [log, log_from] = log_of(c, id, s);
  out += std::string("<details class=\"more\"") + (bad ? " open" : "") + "><summary>" +
         (log.empty() ? std::string("command · no output")
                      : "command · log (last " + std::to_string(log.size()) +
                            (log.size() == 1 ? " line)" : " lines)")) +
         "</summary>\n";
  if (!cmd.empty())
    out += "<div class=\"cmd\"><span class=\"k\">command <i>(" + esc(cmd_from) +
           ")</i></span><pre>" + esc(c.redact(cmd)) + "</pre></div>\n";
  out += outputs_and_firings(c, s);
  if (!log.empty()) {
    out += "<div class=\"k\">" + esc(log_from) + "</div><pre class=\"log\">";
    for (const auto& [cl, l] : log)
      out += "<span class=\"" + esc(cl) + "\">" + esc(c.redact(l)) + "</span>\n";
    out += "</pre>\n";
  }
  return out + "</details>\n</section>\n";
}

}  // namespace

std::string steps_html(const Context& c) {
  std::string out =
      "<section id=\"steps\">\n<h2>Steps</h2>\n<div class=\"step-head\"><span>state</span>"
      "<span>step</span><span>description</span><span>kind</span><span>start</span>"
      "<span>took</span><span>exit</span><span>attempts</span></div>\n";
  for (const StepRecord& s : c.run().steps) out += step_row(c, s.id);
  for (const StepDecl& d : c.in.plan.steps)
    if (!c.run().find(d.id)) out += step_row(c, d.id);
  return out + "</section>\n";
}

}  // namespace ordo::report
