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
std::string node_attrs(const ViewNode& node, const RenderOptions& opts) {
  std::vector<std::string> attrs;
  if (node.kind == ViewNodeKind::Stub) {
    // What a focus cut off: small grey text in a dashed box, not a step.
    attrs.push_back("label=" + quote(node.label));
    attrs.push_back(
        "shape=box, style=\"dashed,rounded\", color=\"#9e9e9e\", "
        "fontcolor=\"#757575\", fontsize=9");
    attrs.push_back("tooltip=" +
                    quote(std::to_string(node.hidden) + (node.hidden == 1 ? " step" : " steps") +
                          " not shown: a larger --depth shows more"));
  } else {
    bool group = node.kind == ViewNodeKind::Group;
    if (group) attrs.push_back("shape=box3d");
    if (node.watcher && !group) attrs.push_back("shape=hexagon");
    if (node.always) attrs.push_back("peripheries=2");
    std::string state = lookup(opts.state, node.id);
    const char* fill = state_fill_color(state);
    if (*fill) {
      const char* style = "style=\"rounded,filled\"";
      if (state == "skipped") style = "style=\"rounded,filled,dashed\"";
      if (state == "not_reached") style = "style=\"rounded,filled,dotted\"";
      attrs.push_back(style);
      attrs.push_back(std::string("fillcolor=\"") + fill + "\"");
    } else if (group) {
      attrs.push_back("style=filled, fillcolor=\"#e3f2fd\"");
    }
    // The failures are what a reader looks for first: a thick border in the state's colour.
    if (state == "failed") attrs.push_back("color=\"#c62828\", penwidth=2");
    if (state == "timed_out") attrs.push_back("color=\"#ef6c00\", penwidth=2");
    if (state == "skipped" || state == "not_reached")
      attrs.push_back("color=\"#9e9e9e\", fontcolor=\"#616161\"");
    if (!state.empty()) {
      // The label, and under it in smaller type the state and the detail.
      std::string detail = lookup(opts.detail, node.id);
      attrs.push_back(
          "label=<" + html(node.label) + "<BR/><FONT POINT-SIZE=\"9\">" +
          html(group ? detail : state_words(state) + (detail.empty() ? "" : " · " + detail)) +
          "</FONT>>");
    } else if (group) {
      attrs.push_back("label=" + quote(node.label));
    }
    std::string tooltip;
    if (opts.with_descriptions || group) tooltip = node.description;
    if (!state.empty()) {
      std::string note = lookup(opts.note, node.id);
      if (!tooltip.empty()) tooltip += "\n";
      tooltip += group          ? note
                 : note.empty() ? state_words(state)
                                : state_words(state) + ": " + note;
    }
    if (!tooltip.empty()) attrs.push_back("tooltip=" + quote(tooltip));
    if (!opts.href_prefix.empty() && !group)
      attrs.push_back("URL=" + quote(opts.href_prefix + node.id));
    // The step the picture is about: a heavy border.
    if (node.focus) attrs.push_back("penwidth=3");
  }
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

std::string edge_attrs(const GraphView& view, const ViewEdge& e, const RenderOptions& opts) {
  if (e.stub) return " [style=dashed, color=\"#bdbdbd\", arrowhead=none]";
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
      for (int ei : view.out[e.to])
        triggers =
            triggers || (view.edges[ei].kind == EdgeKind::TriggeredBy && !view.edges[ei].stub);
      std::string fired = triggers ? "" : fired_text(view.nodes[e.to].id, opts);
      if (!fired.empty()) label += " · " + fired;
      // constraint=false: the watcher does not push what it watches (or itself) a rank over.
      return " [style=dotted, arrowhead=odot, label=" + quote(label) + ", constraint=false]";
    }
    case EdgeKind::TriggeredBy: {
      std::string fired = fired_text(view.nodes[e.from].id, opts);
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

bool large_graph(const GraphView& view) {
  return view.nodes.size() > kLargeGraphNodes;
}

std::string render_dot(const Plan& plan, const Graph& graph, const RenderOptions& opts) {
  return render_dot(full_view(plan, graph), opts);
}

std::string render_dot(const GraphView& view, const RenderOptions& opts) {
  // The usual size up front (a line per step and per edge): on a 100k-step plan the doubling
  // copies would cost as much memory as the text itself.
  size_t ids = 0;
  for (const ViewNode& n : view.nodes) ids += n.id.size();
  std::string out;
  out.reserve(256 + ids + view.nodes.size() * 8 +
              view.edges.size() * (2 * ids / std::max<size_t>(view.nodes.size(), 1) + 16));
  out += "digraph " + quote(view.name) + " {\n";
  out += "  rankdir=LR;\n";
  std::string title = opts.with_descriptions && !view.description.empty()
                          ? view.name + " — " + view.description
                          : "";
  if (!view.scope.empty()) title += (title.empty() ? view.name + " — " : "\n") + view.scope;
  if (!title.empty())
    out += "  labelloc=t;\n  fontname=\"Helvetica\";\n  label=" + quote(title) + ";\n";
  const bool big = large_graph(view);
  if (big) {
    // Measured on a 2,000-step plan: with Graphviz's defaults `dot` took 20 s of CPU when one
    // edge had a label (see the edges below) and over 90 s with edges that skip ranks, nearly
    // all of it in network simplex placing x coordinates; bounding it keeps to ~2 s.
    out += "  // " + std::to_string(view.nodes.size()) +
           " nodes: fast layout (edge xlabels, bounded network simplex and crossing "
           "minimisation)\n";
    out += "  nslimit=0.2;\n  nslimit1=0.2;\n  mclimit=0.2;\n";
  }
  out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";

  const int n = static_cast<int>(view.nodes.size());
  for (int v = 0; v < n; ++v)
    out += "  " + quote(view.nodes[v].id) + node_attrs(view.nodes[v], opts) + ";\n";
  for (const ViewEdge& e : view.edges) {
    std::string attrs = edge_attrs(view, e, opts);
    // One edge label makes `dot` give every edge of the graph a virtual node (labels sit on
    // ranks of their own): on a big graph xlabels, placed after the layout, avoid that.
    if (big) {
      size_t at = attrs.find(" label=");
      if (at != std::string::npos) attrs.insert(at + 1, "x");
    }
    out +=
        "  " + quote(view.nodes[e.from].id) + " -> " + quote(view.nodes[e.to].id) + attrs + ";\n";
  }

  // A watcher with no other ordering sits on the same rank as the first step it watches.
  for (int v = 0; v < n; ++v) {
    int watched = -1;
    bool ordered = false;
    for (int ei : view.in[v]) {
      const ViewEdge& e = view.edges[ei];
      if (e.stub) continue;
      if (e.kind != EdgeKind::Watches)
        ordered = true;
      else if (watched < 0)
        watched = e.from;
    }
    // Not when another edge joins the two (a collapsed tag holding the watcher and steps the
    // watched step requires): a same-rank pair with edges both ways breaks dot's spline
    // routing ("routesplines, illegal values", Graphviz 2.43).
    if (watched >= 0 && !ordered)
      for (int ei : view.out[v])
        if (!view.edges[ei].stub && view.edges[ei].to == watched) ordered = true;
    if (watched >= 0 && !ordered)
      out += "  { rank=same; " + quote(view.nodes[watched].id) + "; " + quote(view.nodes[v].id) +
             "; }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace ordo
