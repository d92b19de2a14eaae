// render_dot: the plan graph as Graphviz DOT, left to right, one statement per line.
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

// The attribute list of one node, "" when it has none.
std::string node_attrs(const StepDecl& step, const RenderOptions& opts) {
  std::vector<std::string> attrs;
  if (step.is_watcher()) attrs.push_back("shape=hexagon");
  if (step.always) attrs.push_back("peripheries=2");
  std::string state = lookup(opts.state, step.id);
  const char* fill = state_fill_color(state);
  if (*fill) {
    attrs.push_back(state == "skipped" ? "style=\"rounded,filled,dashed\""
                                       : "style=\"rounded,filled\"");
    attrs.push_back(std::string("fillcolor=\"") + fill + "\"");
  }
  std::string tooltip;
  if (opts.with_descriptions) tooltip = step.description;
  if (!state.empty()) {
    std::string note = lookup(opts.note, step.id);
    if (!tooltip.empty()) tooltip += "\n";
    tooltip += note.empty() ? state : state + ": " + note;
  }
  if (!tooltip.empty()) attrs.push_back("tooltip=" + quote(tooltip));
  if (attrs.empty()) return "";
  std::string out = " [";
  for (size_t i = 0; i < attrs.size(); ++i) out += (i ? ", " : "") + attrs[i];
  return out + "]";
}

const char* edge_attrs(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::Requires:
      return "";
    case EdgeKind::After:
      return " [style=dashed, label=\"after\"]";
    case EdgeKind::OnFailure:
      return " [color=\"#d32f2f\", fontcolor=\"#d32f2f\", label=\"on failure\"]";
    case EdgeKind::Watches:
      // constraint=false: the watcher does not push what it watches (or itself) a rank over.
      return " [style=dotted, arrowhead=odot, label=\"watches\", constraint=false]";
    case EdgeKind::TriggeredBy:
      return " [style=bold, color=\"#ef6c00\", fontcolor=\"#ef6c00\", label=\"⚡ fires\"]";
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
  std::string out = "digraph " + quote(plan.name.empty() ? "plan" : plan.name) + " {\n";
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
    out += "  " + quote(graph.id(e.from)) + " -> " + quote(graph.id(e.to)) + edge_attrs(e.kind) +
           ";\n";

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
