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

// "⚡ fired 2×" when the run says the watcher fired, "⚡ not fired" when it ran without firing,
// "" when there is no run information about it (the same words as DOT).
std::string fired_text(const std::string& watcher, const RenderOptions& opts) {
  auto it = opts.fired.find(watcher);
  if (it != opts.fired.end() && it->second > 0)
    return "⚡ fired " + std::to_string(it->second) + "×";
  if (opts.state.count(watcher)) return "⚡ not fired";
  return "";
}

}  // namespace

std::string render_mermaid(const Plan& plan, const Graph& graph, const RenderOptions& opts) {
  return render_mermaid(full_view(plan, graph), opts);
}

std::string render_mermaid(const GraphView& view, const RenderOptions& opts) {
  std::string out;
  std::string title = view.name;
  if (opts.with_descriptions && !view.description.empty()) title += " — " + view.description;
  if (!view.scope.empty()) title += " — " + view.scope;
  out += "flowchart LR\n";
  for (char& c : title)
    if (c == '\n' || c == '\r') c = ' ';
  out += "  %% " + title + "\n";

  const int n = static_cast<int>(view.nodes.size());
  std::vector<std::string> groups, stubs, focus;
  for (int v = 0; v < n; ++v) {
    const ViewNode& s = view.nodes[v];
    // Watchers are hexagons; `always` steps get the double-bordered subroutine shape; groups
    // are stadiums; stubs plain boxes styled grey and dashed.
    const char* open = s.watcher ? "{{" : s.always ? "[[" : "[";
    const char* close = s.watcher ? "}}" : s.always ? "]]" : "]";
    if (s.kind == ViewNodeKind::Group) {
      open = "([";
      close = "])";
      if (!opts.state.count(s.id)) groups.push_back(node(v));  // else coloured by its state
    }
    if (s.kind == ViewNodeKind::Stub) {
      open = "[";
      close = "]";
      stubs.push_back(node(v));
    }
    if (s.focus) focus.push_back(node(v));
    std::string text = s.label;
    if (s.kind == ViewNodeKind::Group) {
      auto it = opts.detail.find(s.id);
      if (it != opts.detail.end() && !it->second.empty()) text += " · " + it->second;
    }
    out += "  " + node(v) + open + label(text) + close + "\n";
  }

  std::vector<std::string> red, orange, grey;
  for (size_t i = 0; i < view.edges.size(); ++i) {
    const ViewEdge& e = view.edges[i];
    std::string how = e.stub ? " -.- " : link(e.kind);
    // With a run, watcher edges say how often the watcher fired (as DOT and SVG do).
    if (!e.stub && e.kind == EdgeKind::Watches) {
      bool triggers = false;
      for (int ei : view.out[e.to])
        triggers =
            triggers || (view.edges[ei].kind == EdgeKind::TriggeredBy && !view.edges[ei].stub);
      std::string fired = triggers ? "" : fired_text(view.nodes[e.to].id, opts);
      if (!fired.empty()) how = " -.->|" + label("watches · " + fired) + "| ";
    }
    if (!e.stub && e.kind == EdgeKind::TriggeredBy) {
      std::string fired = fired_text(view.nodes[e.from].id, opts);
      if (!fired.empty()) how = " ==>|" + label(fired) + "| ";
    }
    out += "  " + node(e.from) + how + node(e.to) + "\n";
    if (e.stub)
      grey.push_back(std::to_string(i));
    else if (e.kind == EdgeKind::OnFailure)
      red.push_back(std::to_string(i));
    else if (e.kind == EdgeKind::TriggeredBy)
      orange.push_back(std::to_string(i));
  }
  if (!red.empty()) out += "  linkStyle " + join(red, ",") + " stroke:#d32f2f,color:#d32f2f\n";
  if (!orange.empty())
    out += "  linkStyle " + join(orange, ",") + " stroke:#ef6c00,color:#ef6c00\n";
  if (!grey.empty()) out += "  linkStyle " + join(grey, ",") + " stroke:#bdbdbd\n";

  for (const char* state : kStates) {
    std::vector<std::string> members;
    for (int v = 0; v < n; ++v) {
      auto it = opts.state.find(view.nodes[v].id);
      if (it != opts.state.end() && it->second == state) members.push_back(node(v));
    }
    if (members.empty()) continue;
    std::string style = std::string("fill:") + state_fill_color(state);
    if (std::string_view(state) == "skipped") style += ",stroke-dasharray:4 3";
    out += std::string("  classDef ") + state + " " + style + "\n";
    out += "  class " + join(members, ",") + " " + state + "\n";
  }
  // Groups without a run state get a light blue fill.
  if (!groups.empty())
    out += "  classDef group fill:#e3f2fd\n  class " + join(groups, ",") + " group\n";
  if (!stubs.empty())
    out +=
        "  classDef stub fill:#fafafa,stroke:#9e9e9e,stroke-dasharray:4 3,color:#757575\n"
        "  class " +
        join(stubs, ",") + " stub\n";
  if (!focus.empty()) out += "  style " + focus[0] + " stroke-width:3px\n";
  return out;
}

}  // namespace ordo
