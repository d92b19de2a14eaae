#include "selection.h"

// g++ 12 at -O2 reports -Wstringop-overflow inside fmt 9's own fill_t when a format string has a
// fill spec (a known false positive of that pair, fmt issue 3282). clang has no such report.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "diagnostics.h"
#include "step_index.h"

namespace ordo {
namespace {

bool has_any(const std::vector<std::string>& tags, const std::vector<std::string>& wanted) {
  for (const std::string& t : tags)
    if (std::find(wanted.begin(), wanted.end(), t) != wanted.end()) return true;
  return false;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ",") {
  return fmt::format("{}", fmt::join(v, sep));
}

Status check_known(const char* flag, const std::vector<std::string>& tags,
                   const std::vector<std::string>& known) {
  for (const std::string& t : tags) {
    if (std::find(known.begin(), known.end(), t) != known.end()) continue;
    std::string msg = std::string(flag) + ": no step has tag '" + t + "'" + did_you_mean(t, known);
    if (known.empty()) return make_error(msg + "; the plan's steps have no tags");
    return make_error(msg + "; known tags: " + joined(known, ", "));
  }
  return Ok{};
}

}  // namespace

std::string TagFilter::describe() const {
  std::string out;
  if (!only.empty()) out += "--only-tags " + joined(only);
  if (!skip.empty()) out += (out.empty() ? "--skip-tags " : " --skip-tags ") + joined(skip);
  return out;
}

Result<std::vector<std::string>> select_steps(const Plan& plan, const TagFilter& filter) {
  if (filter.empty()) return std::vector<std::string>{};  // every step selected
  const size_t n = plan.steps.size();
  std::vector<std::string> reason(n);
  std::set<std::string> tag_set;
  for (const StepDecl& s : plan.steps) tag_set.insert(s.tags.begin(), s.tags.end());
  const std::vector<std::string> known(tag_set.begin(), tag_set.end());
  TRY(check_known("--only-tags", filter.only, known));
  TRY(check_known("--skip-tags", filter.skip, known));

  std::vector<char> in(n, 1);
  if (!filter.only.empty()) {
    const StepIndex index(plan);
    for (size_t i = 0; i < n; ++i) in[i] = has_any(plan.steps[i].tags, filter.only);
    // The safety nets of selected steps, until nothing changes (a watcher's triggered steps,
    // a handler of a triggered step, ...).
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t i = 0; i < n; ++i) {
        if (in[i]) continue;
        const StepDecl& s = plan.steps[i];
        auto selected = [&](const std::vector<StepRef>& refs) {
          for (const StepRef& r : refs)
            if (int d = index.find(r.id); d >= 0 && in[static_cast<size_t>(d)]) return true;
          return false;
        };
        if (selected(s.watches) || selected(s.triggered_by) || selected(s.on_failure)) {
          in[i] = 1;
          grew = true;
        }
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const StepDecl& s = plan.steps[i];
    if (!filter.skip.empty() && has_any(s.tags, filter.skip)) {
      std::vector<std::string> hit;
      for (const std::string& t : s.tags)
        if (std::find(filter.skip.begin(), filter.skip.end(), t) != filter.skip.end())
          hit.push_back(t);
      reason[i] =
          "not selected (tagged " + joined(hit) + "; --skip-tags " + joined(filter.skip) + ")";
    } else if (!in[i]) {
      reason[i] = "not selected (--only-tags " + joined(filter.only) + ")";
    }
  }
  if (std::all_of(reason.begin(), reason.end(), [](const std::string& r) { return !r.empty(); }))
    return make_error("--only-tags/--skip-tags leave no step to run");
  return reason;
}

std::vector<std::string> selection_warnings(const Plan& plan, const Graph& graph,
                                            const std::vector<std::string>& unselected) {
  std::vector<std::string> out;
  if (std::all_of(unselected.begin(), unselected.end(),
                  [](const std::string& r) { return r.empty(); }))
    return out;
  for (int v : graph.topo_order()) {
    if (!unselected[static_cast<size_t>(v)].empty()) continue;
    const StepDecl& s = plan.steps[static_cast<size_t>(v)];
    auto warn = [&](const std::vector<StepRef>& refs, const char* verb) {
      for (const StepRef& r : refs) {
        const int d = graph.index(r.id);
        if (d < 0 || unselected[static_cast<size_t>(d)].empty()) continue;
        out.push_back(s.id + " " + verb + " " + r.id +
                      ", which is not selected: it runs without it");
      }
    };
    warn(s.requires_, "requires");
    warn(s.after, "runs after");
  }
  return out;
}

}  // namespace ordo
