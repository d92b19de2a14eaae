// render_report: the HTML run report. Reading order = importance: the outcome (with the
// variables and when and where it ran), the root cause, then the graph, the timeline and every
// step. The banner, timeline and steps sections are in report_{banner,timeline,steps}.cpp.
#include "report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "report_html.h"
#include "state_dir.h"
#include "view.h"

namespace ordo {

namespace {

using report::esc;
using report::state_class;

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
  explicit Report(const ReportInputs& in) : c_{in, run_critical_path(in.graph, in.run)} {}

  std::string render() {
    report::OutcomeView o = report::outcome_of(run_);
    std::string plan_name = run_.plan.empty() ? c_.in.plan.name : run_.plan;
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>" + esc(o.word + " · " + plan_name + " · run " + run_.run_id) + "</title>\n";
    out_ += std::string("<style>\n") + report::kReportCss + "</style>\n</head>\n";
    out_ += "<body class=\"o-" + o.cls + "\">\n";
    header(o, plan_name);
    out_ += report::banner_html(c_);
    out_ +=
        "<nav class=\"toc\"><a href=\"#graph\">Graph</a><a href=\"#timeline\">Timeline</a>"
        "<a href=\"#steps\">Steps</a><button type=\"button\" id=\"expand-all\">expand all "
        "logs</button></nav>\n";
    graph();
    timeline();
    out_ += report::steps_html(c_);
    out_ += "<footer>ordo run report · record: " + esc(c_.in.record_path) +
            (c_.in.run_dir.empty() ? "" : " · logs: " + esc(c_.in.run_dir) + "/steps/") +
            (run_.torn_lines ? " · the record's last line was cut off and ignored" : "") +
            "</footer>\n";
    out_ += std::string("<script>\n") + report::kReportJs + "</script>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  void header(const report::OutcomeView& o, const std::string& plan_name) {
    out_ += "<header class=\"hdr\">\n<div class=\"hdr-main\">\n";
    out_ += "<div class=\"outcome " + o.cls + "\">" + esc(o.word) + "</div>\n";
    out_ += "<h1>" + esc(plan_name) + "</h1>\n";
    if (!c_.in.plan.description.empty())
      out_ += "<p class=\"desc\">" + esc(c_.in.plan.description) + "</p>\n";
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
    if (run_.vars.empty()) {
      out_ += "<p class=\"muted\">none</p></div>\n";
      return;
    }
    out_ += "<table>";
    for (const auto& [name, value] : run_.vars) {
      const VarDecl* vd = c_.in.plan.find_var(name);
      bool secret = (vd && vd->secret) || (value.is_string() && value.as_string() == "***");
      std::string shown =
          secret ? "*** (secret)"
                 : c_.redact(value.is_string() ? value.as_string() : value.to_string());
      out_ += "<tr><th title=\"" + esc(vd ? vd->description : "") + "\">" + esc(name) + "</th><td" +
              (secret ? " class=\"secret\"" : "") + ">" + esc(shown) + "</td></tr>";
    }
    out_ += "</table></div>\n";
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
    RenderOptions ro = run_render_options(c_.in.plan, run_);
    ro.href_prefix = "#step-";
    Result<std::string> svg = std::string();
    const size_t steps = c_.in.plan.steps.size();
    if (steps <= kReportGraphMaxSteps) {
      svg = render_svg(c_.in.plan, c_.in.graph, ro);
    } else {
      // Graphviz needs seconds to minutes beyond this (10k steps: 20 s); the report is written
      // at the end of every run, so it draws the part around the first root cause, or nothing.
      const std::string cmd = "ordo graph " +
                              report::shell_word(run_.path.empty() ? "PLAN" : run_.path) +
                              " --run " + run_.run_id + " --format svg -o graph.svg";
      std::string why = fmt::format("The plan has {} steps, more than this report draws ({}).",
                                    steps, kReportGraphMaxSteps);
      if (run_.root_causes.empty()) {
        out_ += "<p class=\"warn\">" + esc(why) + " To draw it: <code>" + esc(cmd) +
                "</code>, or a part of it with <code>--focus STEP</code> or <code>--collapse "
                "TAG</code>.</p>\n</section>\n";
        return;
      }
      const std::string& root = run_.root_causes.front();
      Result<GraphView> view =
          make_view(c_.in.plan, c_.in.graph, ViewSpec{root, kDefaultFocusDepth, {}});
      if (!view.ok()) {
        svg = make_error(view.error().str());
      } else {
        out_ += "<p class=\"warn\">" + esc(why) + " Shown: " + c_.link(root) + " and the steps " +
                std::to_string(kDefaultFocusDepth) + " edges from it. The whole graph: <code>" +
                esc(cmd) + "</code>.</p>\n";
        svg = render_svg(view.value(), view_options(view.value(), ro));
      }
    }
    if (!svg.ok()) {
      out_ += "<p class=\"warn\">No graph drawing: " + esc(svg.error().str()) +
              ". Everything else in this report is complete.</p>\n</section>\n";
      return;
    }
    std::string s = std::move(svg).value();
    size_t at = s.find("<svg");
    s = at == std::string::npos ? "" : s.substr(at);
    // Scale down to the page, keep the aspect ratio (the viewBox stays), but not below 70% of
    // the drawn size (then the box scrolls): smaller text is unreadable.
    std::string style;
    size_t w = s.find(" width=\"");
    if (w != std::string::npos && w < s.find('>')) {
      double pt = std::atof(s.c_str() + w + 8);  // Graphviz writes "1520pt"
      if (pt > 0)
        style = fmt::format(" style=\"min-width:{}px\"", static_cast<int>(pt * 0.7 * 4 / 3));
    }
    s.replace(0, 4, "<svg class=\"graph\" role=\"img\"" + style);
    out_ += "<div class=\"graph-box\">" + s + "</div>\n</section>\n";
  }

  void timeline() {
    out_ +=
        "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p class=\"legend\">"
        "<span class=\"sw bar-s\"></span>attempt (colour = outcome) "
        "<span class=\"sw k-wait\"></span>backoff wait before a retry "
        "<span class=\"fire-key\">⚡</span>watcher fired "
        "<span class=\"sw crit\"></span>critical path";
    if (!c_.critical.empty()) {
      out_ += ": ";
      for (size_t i = 0; i < c_.critical.size(); ++i)
        out_ += (i ? " → " : "") + c_.link(c_.critical[i]);
    }
    out_ += "</p>\n" + report::timeline_html(c_.in.plan, c_.in.graph, run_, c_.critical) +
            "</section>\n";
  }

  const report::Context c_;
  const RunRecord& run_ = c_.in.run;
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
