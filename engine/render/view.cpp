// full_view / make_view: the plan graph as the renderers draw it, whole or cut to a focus
// neighbourhood and tag groups; view_options: a run's states extended to the groups.
#include "view.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "render.h"

namespace ordo {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// Steps within `depth` edges of `from`, following in-edges (up) or out-edges (down).
void reach(const Graph& g, int from, int depth, bool up, std::vector<char>& keep) {
  std::vector<int> frontier = {from}, dist(g.size(), -1);
  dist[from] = 0;
  keep[from] = 1;
  for (size_t i = 0; i < frontier.size(); ++i) {
    int v = frontier[i];
    if (dist[v] == depth) continue;
    for (int ei : up ? g.in_edges(v) : g.out_edges(v)) {
      const Edge& e = g.edges()[ei];
      int w = up ? e.from : e.to;
      if (dist[w] >= 0) continue;
      dist[w] = dist[v] + 1;
      keep[w] = 1;
      frontier.push_back(w);
    }
  }
}

// How many hidden steps lie beyond `starts` (shown steps) in one direction, walking through
// hidden steps only.
int hidden_beyond(const Graph& g, const std::vector<int>& starts, const std::vector<char>& keep,
                  bool up) {
  std::vector<char> seen(g.size(), 0);
  std::vector<int> todo;
  for (int v : starts)
    for (int ei : up ? g.in_edges(v) : g.out_edges(v)) {
      const Edge& e = g.edges()[ei];
      int w = up ? e.from : e.to;
      if (!keep[w] && !seen[w]) {
        seen[w] = 1;
        todo.push_back(w);
      }
    }
  for (size_t i = 0; i < todo.size(); ++i)
    for (int ei : up ? g.in_edges(todo[i]) : g.out_edges(todo[i])) {
      const Edge& e = g.edges()[ei];
      int w = up ? e.from : e.to;
      if (!keep[w] && !seen[w]) {
        seen[w] = 1;
        todo.push_back(w);
      }
    }
  return static_cast<int>(todo.size());
}

std::vector<std::string> known_tags(const Plan& plan) {
  std::set<std::string> tags;
  for (const StepDecl& s : plan.steps) tags.insert(s.tags.begin(), s.tags.end());
  return {tags.begin(), tags.end()};
}

Error unknown_tag(const std::string& tag, const std::vector<std::string>& known) {
  std::string msg = "--collapse: no step has tag '" + tag + "'" + did_you_mean(tag, known);
  if (known.empty()) return make_error(msg + "; the plan's steps have no tags");
  const size_t kMax = 20;
  std::vector<std::string> shown(known.begin(), known.begin() + std::min(known.size(), kMax));
  if (known.size() > kMax) shown.push_back("… (" + std::to_string(known.size()) + " in all)");
  return make_error(msg + "; known tags: " + join(shown, ", "));
}

void index_edges(GraphView& view) {
  view.in.assign(view.nodes.size(), {});
  view.out.assign(view.nodes.size(), {});
  for (size_t i = 0; i < view.edges.size(); ++i) {
    view.out[view.edges[i].from].push_back(static_cast<int>(i));
    view.in[view.edges[i].to].push_back(static_cast<int>(i));
  }
}

ViewNode step_node(const StepDecl& s) {
  ViewNode n;
  n.id = n.label = s.id;
  n.description = s.description;
  n.watcher = s.is_watcher();
  n.always = s.always;
  return n;
}

}  // namespace

int GraphView::index(const std::string& id) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

void GraphView::add_edge(int from, int to, EdgeKind kind, bool stub) {
  edges.push_back(ViewEdge{from, to, kind, stub});
}

GraphView full_view(const Plan& plan, const Graph& graph) {
  GraphView view;
  view.name = plan.name.empty() ? "plan" : plan.name;
  view.description = plan.description;
  for (const StepDecl& s : plan.steps) view.nodes.push_back(step_node(s));
  for (const Edge& e : graph.edges()) view.add_edge(e.from, e.to, e.kind);
  index_edges(view);
  view.waves = graph.waves();
  view.critical_path = graph.critical_path();
  view.plan_steps = view.shown_steps = plan.steps.size();
  return view;
}

Result<GraphView> make_view(const Plan& plan, const Graph& graph, const ViewSpec& spec) {
  if (spec.focus.empty() && spec.collapse.empty()) return full_view(plan, graph);
  const int n = static_cast<int>(graph.size());

  // Which steps are shown.
  std::vector<char> keep(n, spec.focus.empty() ? 1 : 0);
  int focus = -1;
  if (!spec.focus.empty()) {
    focus = graph.index(spec.focus);
    if (focus < 0) {
      std::vector<std::string> ids;
      for (const StepDecl& s : plan.steps) ids.push_back(s.id);
      return make_error("--focus: no step '" + spec.focus + "' in plan " + plan.name +
                        did_you_mean(spec.focus, ids));
    }
    if (spec.depth < 0) return make_error("--depth must be 0 or more");
    reach(graph, focus, spec.depth, true, keep);
    reach(graph, focus, spec.depth, false, keep);
  }

  // Which group each step goes to: the first --collapse tag it carries.
  std::vector<std::string> tags = known_tags(plan);
  for (const std::string& t : spec.collapse)
    if (!std::binary_search(tags.begin(), tags.end(), t)) return unknown_tag(t, tags);
  std::vector<int> group_of(n, -1);
  std::vector<int> members_in_plan(spec.collapse.size(), 0);
  for (int v = 0; v < n; ++v) {
    const auto& st = plan.steps[v].tags;
    for (size_t t = 0; t < spec.collapse.size() && group_of[v] < 0; ++t)
      if (std::find(st.begin(), st.end(), spec.collapse[t]) != st.end()) group_of[v] = int(t);
    if (group_of[v] >= 0) ++members_in_plan[group_of[v]];
  }

  GraphView view;
  view.name = plan.name.empty() ? "plan" : plan.name;
  view.description = plan.description;
  view.plan_steps = plan.steps.size();
  std::vector<int> node_of(n, -1), group_node(spec.collapse.size(), -1);
  std::vector<std::vector<int>> steps_of;  // per view node, its steps
  for (int v = 0; v < n; ++v) {
    if (!keep[v]) continue;
    ++view.shown_steps;
    int g = group_of[v];
    if (g < 0) {
      node_of[v] = static_cast<int>(view.nodes.size());
      view.nodes.push_back(step_node(plan.steps[v]));
      steps_of.push_back({v});
      continue;
    }
    if (group_node[g] < 0) {
      group_node[g] = static_cast<int>(view.nodes.size());
      ViewNode node;
      node.kind = ViewNodeKind::Group;
      node.id = "tag:" + spec.collapse[g];
      node.watcher = true;
      view.nodes.push_back(std::move(node));
      steps_of.push_back({});
    }
    node_of[v] = group_node[g];
    ViewNode& node = view.nodes[group_node[g]];
    node.members.push_back(plan.steps[v].id);
    node.watcher = node.watcher && plan.steps[v].is_watcher();
    steps_of[group_node[g]].push_back(v);
  }
  if (focus >= 0) view.nodes[node_of[focus]].focus = true;

  std::vector<std::string> groups_said;
  for (size_t g = 0; g < spec.collapse.size(); ++g) {
    if (group_node[g] < 0) {
      groups_said.push_back(spec.collapse[g] + " (none shown)");
      continue;
    }
    ViewNode& node = view.nodes[group_node[g]];
    size_t k = node.members.size(), all = static_cast<size_t>(members_in_plan[g]);
    std::string count = k == all ? plural(k, "step", "steps")
                                 : std::to_string(k) + " of " + plural(all, "step", "steps");
    node.label = spec.collapse[g] + " (" + count + ")";
    groups_said.push_back(node.label);
    const size_t kMax = 12;
    std::vector<std::string> listed(node.members.begin(), node.members.begin() + std::min(k, kMax));
    node.description = "tag " + spec.collapse[g] + ": " + join(listed, ", ") +
                       (k > kMax ? ", … " + std::to_string(k - kMax) + " more" : "");
  }

  // Edges between shown nodes, merged per (from, to, kind); a group's inner edges disappear.
  std::set<std::tuple<int, int, int>> seen;
  for (const Edge& e : graph.edges()) {
    int a = node_of[e.from], b = node_of[e.to];
    if (a < 0 || b < 0 || a == b) continue;
    if (seen.insert({a, b, static_cast<int>(e.kind)}).second) view.add_edge(a, b, e.kind);
  }

  // Waves: a node's wave is its earliest step's; nodes ordered by their first step.
  std::vector<std::pair<int, int>> by_wave;  // (wave, node)
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    int w = n;
    for (int v : steps_of[i]) w = std::min(w, graph.wave_of(v));
    by_wave.push_back({w, static_cast<int>(i)});
  }
  std::stable_sort(by_wave.begin(), by_wave.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (size_t i = 0; i < by_wave.size(); ++i) {
    if (i == 0 || by_wave[i].first != by_wave[i - 1].first) view.waves.emplace_back();
    view.waves.back().push_back(by_wave[i].second);
  }

  // Stubs for what the focus cut off, so nothing disappears silently.
  if (focus >= 0) {
    const size_t shown_nodes = view.nodes.size();
    for (size_t i = 0; i < shown_nodes; ++i)
      for (bool up : {true, false}) {
        int hidden = hidden_beyond(graph, steps_of[i], keep, up);
        if (hidden == 0) continue;
        ViewNode stub;
        stub.kind = ViewNodeKind::Stub;
        stub.id = (up ? "more-up:" : "more-down:") + view.nodes[i].id;
        stub.hidden = hidden;
        stub.label = "… " + std::to_string(hidden) + " more " + (up ? "upstream" : "downstream");
        int s = static_cast<int>(view.nodes.size());
        view.nodes.push_back(std::move(stub));
        if (up)
          view.add_edge(s, static_cast<int>(i), EdgeKind::Requires, true);
        else
          view.add_edge(static_cast<int>(i), s, EdgeKind::Requires, true);
      }
  }
  index_edges(view);

  std::vector<std::string> parts;
  if (focus >= 0)
    parts.push_back("focus on " + spec.focus + ", depth " + std::to_string(spec.depth) + ": " +
                    std::to_string(view.shown_steps) + " of " +
                    plural(view.plan_steps, "step", "steps"));
  if (!groups_said.empty()) parts.push_back("collapsed tag " + join(groups_said, ", "));
  view.scope = join(parts, "; ");
  return view;
}

RenderOptions view_options(const GraphView& view, const RenderOptions& run) {
  // A group with a step never reached is not done, whatever the others did.
  static const char* const kWorstFirst[] = {"failed",      "timed_out", "cancelled", "running",
                                            "not_reached", "succeeded", "skipped"};
  RenderOptions o = run;
  for (const ViewNode& node : view.nodes) {
    if (node.kind != ViewNodeKind::Group) continue;
    std::map<std::string, std::vector<std::string>> by_state;
    int fired = 0;
    bool any_fired = false;
    for (const std::string& m : node.members) {
      auto it = run.state.find(m);
      if (it != run.state.end()) by_state[it->second].push_back(m);
      auto f = run.fired.find(m);
      if (f != run.fired.end()) {
        fired += f->second;
        any_fired = true;
      }
    }
    if (any_fired) o.fired[node.id] = fired;
    if (by_state.empty()) continue;
    std::vector<std::string> counts, notes;
    for (const char* state : kWorstFirst) {
      auto it = by_state.find(state);
      if (it == by_state.end()) continue;
      if (!o.state.count(node.id)) o.state[node.id] = state;
      std::string words = state;
      std::replace(words.begin(), words.end(), '_', ' ');
      counts.push_back(std::to_string(it->second.size()) + " " + words);
      if (std::string(state) != "succeeded") notes.push_back(words + ": " + join(it->second, ", "));
    }
    o.detail[node.id] = join(counts, " · ");
    if (!notes.empty()) o.note[node.id] = join(notes, "; ");
  }
  return o;
}

}  // namespace ordo
