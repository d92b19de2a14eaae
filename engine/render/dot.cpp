// render_dot: the plan graph as Graphviz DOT, left to right, one statement per line.
#include <algorithm>
#include <string_view>

#include "render.h"

namespace ordo {

namespace {

// A DOT double-quoted string: quotes and backslashes escaped, newlines as Graphviz's \n.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

// Text inside a Graphviz HTML-like label: &, <, > and quotes as entities.
std::string html(std::string_view s) {
  std::string out;
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
      default:
        out += c;
    }
  }
  return out;
}

// "timed_out" -> "timed out": a run state as words.
std::string state_words(const std::string& state) {
  std::string out = state;
  for (char& c : out)
    if (c == '_') c = ' ';
  return out;
}

// The attribute list of one node, "" when it has none.
std::string node_attrs(const StepDecl& step, const RenderOptions& opts) {
  std::vector<std::string> attrs;
  if (step.is_watcher()) attrs.push_back("shape=hexagon");
  if (step.always) attrs.push_back("peripheries=2");
  std::string state = lookup(opts.state, step.id);
  const char* fill = state_fill_color(state);
  if (*fill) {
    const char* style = "style=\"rounded,filled\"";
    if (state == "skipped") style = "style=\"rounded,filled,dashed\"";
    if (state == "not_reached") style = "style=\"rounded,filled,dotted\"";
    attrs.push_back(style);
    attrs.push_back(std::string("fillcolor=\"") + fill + "\"");
  }
  // The failures are what a reader looks for first: a thick border in the state's colour.
  if (state == "failed") attrs.push_back("color=\"#c62828\", penwidth=2");
  if (state == "timed_out") attrs.push_back("color=\"#ef6c00\", penwidth=2");
  if (state == "skipped" || state == "not_reached")
    attrs.push_back("color=\"#9e9e9e\", fontcolor=\"#616161\"");
  if (!state.empty()) {
    // The id, and under it in smaller type the state and the detail.
    std::string detail = lookup(opts.detail, step.id);
    attrs.push_back("label=<" + html(step.id) + "<BR/><FONT POINT-SIZE=\"9\">" +
                    html(state_words(state) + (detail.empty() ? "" : " · " + detail)) + "</FONT>>");
  }
  std::string tooltip;
  if (opts.with_descriptions) tooltip = step.description;
  if (!state.empty()) {
    std::string note = lookup(opts.note, step.id);
    if (!tooltip.empty()) tooltip += "\n";
    tooltip += note.empty() ? state_words(state) : state_words(state) + ": " + note;
  }
  if (!tooltip.empty()) attrs.push_back("tooltip=" + quote(tooltip));
  if (!opts.href_prefix.empty()) attrs.push_back("URL=" + quote(opts.href_prefix + step.id));
  if (attrs.empty()) return "";
  std::string out = " [";
  for (size_t i = 0; i < attrs.size(); ++i) out += (i ? ", " : "") + attrs[i];
  return out + "]";
}

// "⚡ fired 2×" when the run says the watcher fired, "⚡ not fired" when it ran without firing,
// "" when there is no run information about it.
std::string fired_text(const std::string& watcher, const RenderOptions& opts) {
  auto it = opts.fired.find(watcher);
  if (it != opts.fired.end() && it->second > 0)
    return "⚡ fired " + std::to_string(it->second) + "×";
  if (opts.state.count(watcher)) return "⚡ not fired";
  return "";
}

std::string edge_attrs(const Graph& graph, const Edge& e, const RenderOptions& opts) {
  switch (e.kind) {
    case EdgeKind::Requires:
      return "";
    case EdgeKind::After:
      return " [style=dashed, label=\"after\"]";
    case EdgeKind::OnFailure:
      return " [color=\"#d32f2f\", fontcolor=\"#d32f2f\", label=\"on failure\"]";
    case EdgeKind::Watches: {
      // A watcher that triggers nothing shows its firings on what it watches.
      std::string label = "👁 watches";
      bool triggers = false;
      for (int ei : graph.out_edges(e.to))
        triggers = triggers || graph.edges()[ei].kind == EdgeKind::TriggeredBy;
      std::string fired = triggers ? "" : fired_text(graph.id(e.to), opts);
      if (!fired.empty()) label += " · " + fired;
      // constraint=false: the watcher does not push what it watches (or itself) a rank over.
      return " [style=dotted, arrowhead=odot, label=" + quote(label) + ", constraint=false]";
    }
    case EdgeKind::TriggeredBy: {
      std::string fired = fired_text(graph.id(e.from), opts);
      return " [style=bold, color=\"#ef6c00\", fontcolor=\"#ef6c00\", label=" +
             quote(fired.empty() ? "⚡ fires" : fired) + "]";
    }
  }
  return "";
}

}  // namespace

const char* state_fill_color(const std::string& state) {
  if (state == "succeeded") return "#c8e6c9";
  if (state == "failed") return "#ffcdd2";
  if (state == "timed_out") return "#ffe0b2";
  if (state == "skipped") return "#eeeeee";
  if (state == "cancelled") return "#d7ccc8";
  if (state == "not_reached") return "#ffffff";
  if (state == "running") return "#bbdefb";
  return "";
}

std::string render_dot(const Plan& plan, const Graph& graph, const RenderOptions& opts) {
  // The usual size up front (a line per step and per edge): on a 100k-step plan the doubling
  // copies would cost as much memory as the text itself.
  size_t ids = 0;
  for (int v = 0; v < static_cast<int>(graph.size()); ++v) ids += graph.id(v).size();
  std::string out;
  out.reserve(256 + ids + graph.size() * 8 +
              graph.edges().size() * (2 * ids / std::max<size_t>(graph.size(), 1) + 16));
  out += "digraph " + quote(plan.name.empty() ? "plan" : plan.name) + " {\n";
  out += "  rankdir=LR;\n";
  if (opts.with_descriptions && !plan.description.empty())
    out += "  labelloc=t;\n  fontname=\"Helvetica\";\n  label=" +
           quote(plan.name + " — " + plan.description) + ";\n";
  out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";

  const int n = static_cast<int>(graph.size());
  for (int v = 0; v < n; ++v)
    out += "  " + quote(graph.id(v)) + node_attrs(plan.steps[v], opts) + ";\n";
  for (const Edge& e : graph.edges())
    out += "  " + quote(graph.id(e.from)) + " -> " + quote(graph.id(e.to)) +
           edge_attrs(graph, e, opts) + ";\n";

  // A watcher with no other ordering sits on the same rank as the first step it watches.
  for (int v = 0; v < n; ++v) {
    int watched = -1;
    bool ordered = false;
    for (int ei : graph.in_edges(v)) {
      const Edge& e = graph.edges()[ei];
      if (e.kind != EdgeKind::Watches)
        ordered = true;
      else if (watched < 0)
        watched = e.from;
    }
    if (watched >= 0 && !ordered)
      out += "  { rank=same; " + quote(graph.id(watched)) + "; " + quote(graph.id(v)) + "; }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace ordo
