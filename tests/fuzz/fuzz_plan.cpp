// libFuzzer target: the bytes are the text of a plan file, taken through the path of
// `ordo check` — load (toml++ and the loader), resolve the variables from their defaults,
// validate against the built-in kinds (which builds the graph) — and, for a valid plan, what
// `ordo plan` and `ordo graph` do with it (forecast, text and DOT rendering). Nothing is caught:
// a crash, a sanitizer report, a leak or a hang is a finding. See README.md.
// Differential part: the same text is loaded again split into sections of one step each (the
// path big plans take, plan_sections.h); its diagnostics and Plan, every position included
// (tests/unit/plan_dump.h), must be the whole load's, else the target aborts (a finding).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "builtin.h"
#include "forecast.h"
#include "plan_dump.h"
#include "plan_loader.h"
#include "plan_sections.h"
#include "render/render.h"
#include "validate.h"

namespace {

// Relative includes are resolved against the plan's directory: an empty directory of our own,
// so an input cannot reach the files of the tree it runs in (absolute paths still can).
std::string plan_path() {
  static const std::string path = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "ordo-fuzz-XXXXXX").string();
    if (!::mkdtemp(dir.data())) std::abort();
    return dir + "/fuzz.toml";
  }();
  return path;
}

void check_split_load(std::string_view text, const std::optional<ordo::Plan>& plan,
                      const ordo::Diagnostics& diags) {
  ordo::Diagnostics split_diags;
  const ordo::SectionLimits tiny{0, 1, 1 << 20};
  std::optional<ordo::Plan> split = ordo::load_plan_text(text, plan_path(), split_diags, tiny);
  const std::string whole = ordo::plan_dump::dump(plan, diags),
                    parts = ordo::plan_dump::dump(split, split_diags);
  if (whole != parts) {
    std::fprintf(stderr, "whole load:\n%s\nsplit load:\n%s\n", whole.c_str(), parts.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ordo::Registry registry = ordo::builtin_registry();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ordo::Diagnostics diags;
  std::optional<ordo::Plan> plan = ordo::load_plan_text(text, plan_path(), diags);
  check_split_load(text, plan, diags);
  if (plan) {
    ordo::VarValues vars = ordo::resolve_vars(*plan, {}, diags);
    std::optional<ordo::Validated> v = ordo::validate(*plan, registry, vars, diags);
    if (v && !diags.has_errors()) {
      (void)ordo::forecast(*plan, v->graph, vars, ordo::Facts{}, registry);
      (void)ordo::render_text(*plan, v->graph);
      (void)ordo::render_dot(*plan, v->graph);
    }
  }
  // What `ordo check` prints.
  for (const auto& d : diags.sorted()) (void)d.str();
  return 0;
}
