// render_mermaid: the plan graph as a Mermaid flowchart (renders on GitHub and in most wikis).
#include <string_view>

#include "render.h"

namespace ordo {

namespace {

// Text inside a quoted Mermaid label: characters Mermaid would parse become entity codes.
std::string label(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '#':
        out += "#35;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string node(int v) {
  return "n" + std::to_string(v);
}

// The link between two nodes for an edge kind.
std::string link(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::Requires:
      return " --> ";
    case EdgeKind::After:
      return " -.->|after| ";
    case EdgeKind::OnFailure:
      return " -->|on failure| ";
    case EdgeKind::Watches:
      return " -. watches .-> ";
    case EdgeKind::TriggeredBy:
      return " ==>|fires| ";
  }
  return " --> ";
}

// Mermaid class names for run states, in a fixed order so the output is stable.
const char* const kStates[] = {"succeeded", "failed",      "timed_out", "skipped",
                               "cancelled", "not_reached", "running"};

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

}  // namespace

std::string render_mermaid(const Plan& plan, const Graph& graph, const RenderOptions& opts) {
  std::string out;
  std::string title = plan.name.empty() ? "plan" : plan.name;
  if (opts.with_descriptions && !plan.description.empty()) title += " — " + plan.description;
  out += "flowchart LR\n";
  for (char& c : title)
    if (c == '\n' || c == '\r') c = ' ';
  out += "  %% " + title + "\n";

  const int n = static_cast<int>(graph.size());
  for (int v = 0; v < n; ++v) {
    const StepDecl& s = plan.steps[v];
    // Watchers are hexagons; `always` steps get the double-bordered subroutine shape.
    const char* open = s.is_watcher() ? "{{" : s.always ? "[[" : "[";
    const char* close = s.is_watcher() ? "}}" : s.always ? "]]" : "]";
    out += "  " + node(v) + open + label(graph.id(v)) + close + "\n";
  }

  std::vector<std::string> red, orange;
  for (size_t i = 0; i < graph.edges().size(); ++i) {
    const Edge& e = graph.edges()[i];
    out += "  " + node(e.from) + link(e.kind) + node(e.to) + "\n";
    if (e.kind == EdgeKind::OnFailure) red.push_back(std::to_string(i));
    if (e.kind == EdgeKind::TriggeredBy) orange.push_back(std::to_string(i));
  }
  if (!red.empty()) out += "  linkStyle " + join(red, ",") + " stroke:#d32f2f,color:#d32f2f\n";
  if (!orange.empty())
    out += "  linkStyle " + join(orange, ",") + " stroke:#ef6c00,color:#ef6c00\n";

  for (const char* state : kStates) {
    std::vector<std::string> members;
    for (int v = 0; v < n; ++v) {
      auto it = opts.state.find(graph.id(v));
      if (it != opts.state.end() && it->second == state) members.push_back(node(v));
    }
    if (members.empty()) continue;
    std::string style = std::string("fill:") + state_fill_color(state);
    if (std::string_view(state) == "skipped") style += ",stroke-dasharray:4 3";
    out += std::string("  classDef ") + state + " " + style + "\n";
    out += "  class " + join(members, ",") + " " + state + "\n";
  }
  return out;
}

}  // namespace ordo
