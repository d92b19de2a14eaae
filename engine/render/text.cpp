// render_text: the plan graph for a terminal — steps by wave with their predecessors, then the
// watchers and the critical path. Lines fit in 100 columns (long lists wrap, long
// descriptions are cut with "…"); widths count UTF-8 code points.
#include <algorithm>
#include <string_view>

#include "render.h"

namespace ordo {

namespace {

constexpr size_t kWidth = 100;
constexpr size_t kMaxIdWidth = 32;
constexpr size_t kMinTail = 30;  // columns kept free for "← predecessors" after a description

size_t width(std::string_view s) {
  size_t w = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  return w;
}

std::string truncate(std::string_view s, size_t w) {
  if (width(s) <= w) return std::string(s);
  if (w == 0) return "";
  std::string out;
  size_t points = 0;
  for (char c : s) {
    bool start = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (start && ++points == w) break;  // keep w-1 code points, then the ellipsis
    out += c;
  }
  return out + "…";
}

std::string spaces(size_t n) {
  return std::string(n, ' ');
}

std::string lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

const char* state_sgr(const std::string& state) {
  if (state == "succeeded") return "32";
  if (state == "failed") return "31";
  if (state == "timed_out") return "33";
  if (state == "cancelled") return "35";
  if (state == "running") return "36";
  return "2";  // skipped, not_reached, unknown
}

const char* kind_suffix(EdgeKind k) {
  switch (k) {
    case EdgeKind::Requires:
      return "";
    case EdgeKind::After:
      return " (after)";
    case EdgeKind::OnFailure:
      return " (on failure)";
    case EdgeKind::Watches:
      return " (watches)";
    case EdgeKind::TriggeredBy:
      return " (triggered by)";
  }
  return "";
}

// Appends words separated by one space; a word that would pass kWidth starts a new line
// indented by `indent`. `col` is the current column and is updated.
void wrap(std::string& out, size_t& col, size_t indent, const std::vector<std::string>& words) {
  bool first = true;
  for (const std::string& w : words) {
    size_t need = width(w) + (first ? 0 : 1);
    if (!first && col + need > kWidth && col > indent) {
      out += "\n" + spaces(indent);
      col = indent;
      need = width(w);
    } else if (!first) {
      out += ' ';
    }
    out += w;
    col += need;
    first = false;
  }
}

// "a," "b (after)," "c" — the items of a comma-separated list as words for wrap().
std::vector<std::string> list_words(std::vector<std::string> items, const char* last_sep = "") {
  for (size_t i = 0; i < items.size(); ++i) items[i] += i + 1 < items.size() ? "," : last_sep;
  return items;
}

void rtrim_lines(std::string& s) {
  std::string out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    size_t last = end;
    while (last > start && s[last - 1] == ' ') --last;
    out.append(s, start, last - start);
    if (end < s.size()) out += '\n';
    start = end + 1;
  }
  s = std::move(out);
}

class TextRenderer {
 public:
  TextRenderer(const GraphView& view, const RenderOptions& opts, bool color)
      : view_(view), opts_(opts), color_(color) {
    for (size_t v = 0; v < view.nodes.size(); ++v) {
      const ViewNode& s = view.nodes[v];
      if (s.kind == ViewNodeKind::Stub) continue;
      // The focus step is marked "▶ " before its id.
      idw_ = std::max(idw_, std::min(kMaxIdWidth, width(s.label) + (s.focus ? 2 : 0)));
      // The column is as wide as the descriptions that have something after them.
      if (opts.with_descriptions && !s.watcher && !s.description.empty()) {
        has_desc_ = true;
        bool stub_after = false;  // a downstream stub is listed after the description
        for (int ei : view.out[v]) stub_after = stub_after || view.edges[ei].stub;
        if (!view.in[v].empty() || stub_after || s.always)
          descw_ = std::max(descw_, width(s.description));
      }
    }
    for (const auto& [id, state] : opts.state) statew_ = std::max(statew_, width(state));
    leadw_ = 2 + idw_ + 1 + (statew_ ? statew_ + 1 : 0);
    size_t fixed = leadw_;
    size_t budget = kWidth > fixed + 2 + kMinTail + 20 ? kWidth - fixed - 2 - kMinTail : 20;
    descw_ = std::min(descw_, budget);
  }

  std::string render() {
    std::vector<std::vector<int>> waves;  // non-empty waves without the watchers
    std::vector<int> watchers;
    for (const auto& wave : view_.waves) {
      std::vector<int> shown;
      for (int v : wave) (view_.nodes[v].watcher ? watchers : shown).push_back(v);
      if (!shown.empty()) waves.push_back(std::move(shown));
    }
    std::sort(watchers.begin(), watchers.end());

    header(waves.size());
    for (size_t k = 0; k < waves.size(); ++k) {
      out_ += "wave " + std::to_string(k + 1) + "\n";
      for (int v : waves[k]) step_line(v);
    }
    if (!watchers.empty()) out_ += "watchers\n";
    for (int v : watchers) watcher_line(v);
    critical_path();
    rtrim_lines(out_);
    return std::move(out_);
  }

 private:
  void header(size_t waves) {
    std::vector<std::string> words = {"plan", view_.name};
    if (opts_.with_descriptions && !view_.description.empty()) {
      words.push_back("—");
      std::string d = view_.description;
      for (size_t i = 0, j; i < d.size(); i = j + 1) {
        j = d.find_first_of(" \n", i);
        if (j == std::string::npos) j = d.size();
        if (j > i) words.push_back(d.substr(i, j - i));
      }
    }
    size_t n = view_.plan_steps;
    // A cut view's waves are not the plan's: only the plan's size, then what is shown.
    if (view_.scope.empty())
      words.push_back("(" + std::to_string(n) + (n == 1 ? " step, " : " steps, ") +
                      std::to_string(waves) + (waves == 1 ? " wave)" : " waves)"));
    else
      words.push_back("(" + std::to_string(n) + (n == 1 ? " step)" : " steps)"));
    size_t col = 0;
    wrap(out_, col, 2, words);
    out_ += "\n";
    if (!view_.scope.empty()) {
      // What this picture leaves out, before anything else.
      std::vector<std::string> scope = {"showing"};
      for (size_t i = 0, j; i < view_.scope.size(); i = j + 1) {
        j = view_.scope.find(' ', i);
        if (j == std::string::npos) j = view_.scope.size();
        if (j > i) scope.push_back(view_.scope.substr(i, j - i));
      }
      col = 0;
      wrap(out_, col, 2, scope);
      out_ += "\n";
    }
    out_ += "\n";
  }

  // "  id  state  " with the id bold and the state coloured; returns the column reached.
  size_t lead(int v) {
    const std::string& id = view_.nodes[v].label;
    std::string mark = view_.nodes[v].focus ? "▶ " : "";
    out_ += "  " + mark + (color_ ? "\x1b[1m" + id + "\x1b[0m" : id);
    size_t col = 2 + width(mark) + width(id);
    size_t idcol = 2 + idw_;
    out_ += spaces(idcol > col ? idcol - col : 0) + " ";
    col = std::max(col, idcol) + 1;
    if (statew_) {
      std::string state = lookup(opts_.state, view_.nodes[v].id);
      out_ += color_ && !state.empty()
                  ? std::string("\x1b[") + state_sgr(state) + "m" + state + "\x1b[0m"
                  : state;
      out_ += spaces(statew_ - std::min(statew_, width(state))) + " ";
      col += statew_ + 1;
    }
    return col;
  }

  void note_line(int v) {
    std::string note = lookup(opts_.note, view_.nodes[v].id);
    if (note.empty()) return;
    size_t indent = 2 + idw_ + 1;
    out_ += spaces(indent) + "↳ " + truncate(note, kWidth - indent - 2) + "\n";
  }

  void step_line(int v) {
    const ViewNode& s = view_.nodes[v];
    size_t col = lead(v);
    std::vector<std::string> preds;
    for (int ei : view_.in[v]) {
      const ViewEdge& e = view_.edges[ei];
      preds.push_back(view_.nodes[e.from].label + (e.stub ? "" : kind_suffix(e.kind)));
    }
    std::vector<std::string> words = list_words(std::move(preds));
    if (!words.empty()) words[0] = "← " + words[0];
    if (s.always) words.push_back("[always]");
    stub_words(v, words);
    if (has_desc_) {
      // Without predecessors the description may use the rest of the line.
      size_t room = words.empty() ? std::max(descw_, kWidth - std::min(kWidth, col)) : descw_;
      std::string d = truncate(opts_.with_descriptions ? s.description : "", room);
      out_ += d;
      col += width(d);
      if (!words.empty()) {
        out_ += spaces(descw_ - width(d) + 2);
        col += descw_ - width(d) + 2;
      }
    }
    bool fits = words.empty() || col + width(words[0]) <= kWidth;
    for (size_t i = 1; i < words.size(); ++i) fits = fits && col + 2 + width(words[i]) <= kWidth;
    if (!fits && col > leadw_ + 2) {
      // Too narrow beside the description: continue on the next line, a little indented.
      out_ += "\n" + spaces(leadw_ + 2);
      col = leadw_ + 2;
    }
    wrap(out_, col, col + 2, words);
    out_ += "\n";
    note_line(v);
  }

  void watcher_line(int v) {
    size_t col = lead(v);
    std::vector<std::string> watched, fires;
    for (int ei : view_.in[v]) {
      const ViewEdge& e = view_.edges[ei];
      if (e.stub)
        watched.push_back(view_.nodes[e.from].label);
      else if (e.kind == EdgeKind::Watches)
        watched.push_back(view_.nodes[e.from].label);
    }
    for (int ei : view_.out[v])
      if (view_.edges[ei].kind == EdgeKind::TriggeredBy && !view_.edges[ei].stub)
        fires.push_back(view_.nodes[view_.edges[ei].to].label);
    std::vector<std::string> words = {"watches"};
    for (auto& w : list_words(std::move(watched), fires.empty() ? "" : ";")) words.push_back(w);
    if (!fires.empty()) {
      words.push_back("fires");
      words.push_back("→");
      for (auto& w : list_words(std::move(fires))) words.push_back(w);
    }
    stub_words(v, words);
    wrap(out_, col, col, words);
    out_ += "\n";
    note_line(v);
  }

  void critical_path() {
    const auto& path = view_.critical_path;
    if (path.empty()) return;
    std::vector<std::string> words = {"critical path:"};
    for (size_t i = 0; i < path.size(); ++i)
      words.push_back(view_.nodes[path[i]].label + (i + 1 < path.size() ? " →" : ""));
    words.push_back("(" + std::to_string(path.size()) + (path.size() == 1 ? " step)" : " steps)"));
    size_t col = 0;
    wrap(out_, col, 2, words);
    out_ += "\n";
  }

  // "→ … 3 more downstream" for the downstream stub hanging on v, if any.
  void stub_words(int v, std::vector<std::string>& words) {
    for (int ei : view_.out[v]) {
      const ViewEdge& e = view_.edges[ei];
      if (!e.stub) continue;
      words.push_back("→ " + view_.nodes[e.to].label);
    }
  }

  const GraphView& view_;
  const RenderOptions& opts_;
  bool color_;
  size_t idw_ = 0;
  size_t descw_ = 0;
  size_t statew_ = 0;
  bool has_desc_ = false;  // some listed step has a description to show
  size_t leadw_ = 0;       // columns taken by "  id  state " before the description
  std::string out_;
};

}  // namespace

std::string render_text(const Plan& plan, const Graph& graph, const RenderOptions& opts,
                        bool color) {
  return render_text(full_view(plan, graph), opts, color);
}

std::string render_text(const GraphView& view, const RenderOptions& opts, bool color) {
  return TextRenderer(view, opts, color).render();
}

}  // namespace ordo
