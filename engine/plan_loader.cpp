// The plan loader's entry points, the main file, includes and [plan]. The loader is this file,
// load_vars.cpp, load_steps.cpp, load_step_tables.cpp and toml_convert.cpp (the only files that
// include toml++); plan_loader_internal.h declares what they share, and toml_convert.h how
// tables are walked in declaration order and where a value's position is.
#include "plan_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>

#include "plan_loader_internal.h"

namespace ordo {
namespace loader {
namespace {

namespace fs = std::filesystem;

bool valid_plan_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Parses a TOML document on a thread of its own; throws toml::parse_error like toml::parse.
// Why a thread: glibc's malloc gives each new thread its own arena, so the document's nodes
// sit in pages of their own instead of among the Plan's allocations. load_steps() releases
// each step's subtree once converted and returns the freed pages to the system; pages shared
// with Plan allocations could never be returned (peak RSS would be document + Plan, not the
// larger of the two). Elsewhere it is only a thread that runs the parse and is joined.
toml::table parse_document(std::string_view text) {
  return std::async(std::launch::async, [text] { return toml::parse(text); }).get();
}

}  // namespace

// Reads a whole file; on failure returns the strerror text as the error message.
Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(std::strerror(EISDIR));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(std::strerror(errno));
  std::string out;
  if (auto size = fs::file_size(path, ec); !ec) out.reserve(size);  // one allocation, no copies
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) return make_error(std::strerror(err));
  return out;
}

std::optional<Plan> Loader::load_main(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = parse_document(text);
  } catch (const toml::parse_error& e) {
    plan_.path = path;
    syntax_error(path, e);
    return std::nullopt;
  }
  return load_root(root, text, path, nullptr);
}

std::optional<Plan> Loader::load_main_sections(std::string_view text, const std::string& path,
                                               const PlanSections& parts) {
  toml::table root;
  try {
    root = parse_document(parts.prefix);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  // A `steps` key before the first [steps.ID] header would merge with the sections' tables.
  if (root.contains("steps")) return std::nullopt;
  auto plan = load_root(root, text, path, &parts);
  if (parts_failed_) return std::nullopt;
  return plan;
}

std::optional<Plan> Loader::load_root(const toml::table& root, std::string_view text,
                                      const std::string& path, const PlanSections* sections) {
  plan_.path = path;
  plan_.files.push_back(path);
  plan_.loc = SourceLoc{path, 1, 1};
  Source src(path, text);
  std::string id = identity(path);
  loaded_.insert(id);
  stack_.push_back({id, path});
  load_file(root, src, /*is_main=*/true, sections);
  stack_.pop_back();
  drop_duplicate_steps();
  return std::move(plan_);
}

// Each section is parsed, converted and freed before the next is parsed; its positions are
// section-relative, so Source adds the lines before the section.
bool Loader::load_step_sections(const PlanSections& parts, Source& src) {
  // Once for all sections (load_steps reserves for its own members only: growing the vector
  // section by section would move every step again each time).
  size_t total = 0;
  for (const auto& section : parts.sections) total += section.steps;
  plan_.steps.reserve(plan_.steps.size() + total);
  for (const auto& section : parts.sections) {
    std::optional<toml::table> doc;
    try {
      doc = parse_document(section.text);
    } catch (const toml::parse_error&) {
      return false;
    }
    const toml::table* steps = doc->get_as<toml::table>("steps");
    if (!steps || doc->size() != 1) return false;  // the splitter promises only [steps.ID]
    src.set_line_offset(section.line_offset);
    load_steps(*steps, src);
    src.set_line_offset(0);
  }
  release_free_memory();
  return true;
}

void Loader::syntax_error(const std::string& path, const toml::parse_error& e) {
  const auto& b = e.source().begin;
  error(SourceLoc{path, static_cast<int>(b.line), static_cast<int>(b.column)},
        std::string(e.description()));
}

// The identity of a file for cycle detection (the same file spelled two ways is one file).
std::string Loader::identity(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  return p.string();
}

// Reports every step id defined more than once and keeps only the first definition (in
// load order: includes before the including file). Sorting indices instead of a hash map
// of ids keeps a 100k-step load free of per-step allocations.
void Loader::drop_duplicate_steps() {
  auto& steps = plan_.steps;
  std::vector<uint32_t> order(steps.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return steps[a].id < steps[b].id; });
  std::vector<bool> drop(steps.size());
  bool any = false;
  for (size_t i = 1, first = 0; i < order.size(); ++i) {
    if (steps[order[i]].id != steps[order[first]].id) {
      first = i;
      continue;
    }
    const StepDecl& dup = steps[order[i]];
    error(dup.loc, "step '" + dup.id + "' is already defined at " + steps[order[first]].loc.str());
    drop[order[i]] = any = true;
  }
  if (!any) return;
  size_t kept = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) steps[kept] = std::move(steps[i]);
    ++kept;
  }
  steps.resize(kept);
}

// ---- files and includes ----

void Loader::load_file(const toml::table& root, Source& src, bool is_main,
                       const PlanSections* sections) {
  const toml::table* plan_t = nullptr;
  const toml::table* vars_t = nullptr;
  const toml::table* steps_t = nullptr;
  SourceLoc plan_loc;
  static const std::vector<std::string> top = {"plan", "vars", "steps"};
  for (auto [k, v] : ordered(root)) {
    std::string key(k->str());
    const toml::table** slot = key == "plan"    ? &plan_t
                               : key == "vars"  ? &vars_t
                               : key == "steps" ? &steps_t
                                                : nullptr;
    if (!slot) {
      error(src.key_loc(*k), "unknown top-level key '" + key + "'" + did_you_mean(key, top));
      continue;
    }
    if (!v->is_table()) {
      error(src.node_loc(*v), "'" + key + "' must be a table ([" + key + "]), not " + a_type(*v));
      continue;
    }
    *slot = v->as_table();
    if (key == "plan") plan_loc = src.at(v->source().begin);
  }

  std::vector<std::pair<std::string, SourceLoc>> includes;
  if (plan_t) {
    load_plan_table(*plan_t, plan_loc, src, is_main, includes);
  } else if (is_main) {
    error(SourceLoc{src.path(), 1, 1}, "missing [plan] table with the plan's 'name'");
  }
  for (const auto& [inc, at] : includes) load_include(inc, at, src);
  if (vars_t) load_vars(*vars_t, src);
  if (sections) {
    if (!load_step_sections(*sections, src)) parts_failed_ = true;
  } else if (steps_t) {
    load_steps(*steps_t, src);
  }
}

void Loader::load_plan_table(const toml::table& t, const SourceLoc& loc, Source& src, bool is_main,
                             std::vector<std::pair<std::string, SourceLoc>>& includes) {
  static const std::vector<std::string> keys = {"name", "description", "include"};
  bool has_name = false;
  for (auto [k, v] : ordered(t)) {
    std::string key(k->str());
    if (key == "name") {
      has_name = true;
      auto s = string_of(*v, key, src, diags_);
      if (!s) continue;
      if (!is_main) continue;  // a fragment's name means nothing
      if (!valid_plan_name(*s))
        error(src.value_loc(*v), "plan name '" + *s + "' must match [a-z0-9-]+");
      plan_.name = *s;
    } else if (key == "description") {
      auto s = string_of(*v, key, src, diags_);
      if (s && is_main) plan_.description = *s;
    } else if (key == "include") {
      const toml::array* a = v->as_array();
      if (!a) {
        error(src.node_loc(*v), "'include' must be a list of file paths, not " + a_type(*v));
        continue;
      }
      for (const auto& e : *a) {
        if (const auto* s = e.as_string())
          includes.emplace_back(s->get(), src.value_loc(e));
        else
          error(src.node_loc(e),
                "each entry of 'include' must be a file path string, not " + a_type(e));
      }
    } else {
      error(src.key_loc(*k), "unknown key '" + key + "' in [plan]" + did_you_mean(key, keys));
    }
  }
  if (is_main) {
    plan_.loc = loc;
    if (!has_name) error(loc, "[plan] has no 'name'");
  }
}

void Loader::load_include(const std::string& rel, const SourceLoc& at, const Source& includer) {
  fs::path base = fs::path(includer.path()).parent_path();
  std::string path = (base / rel).lexically_normal().string();
  std::string id = identity(path);
  for (size_t i = 0; i < stack_.size(); ++i) {
    if (stack_[i].first != id) continue;
    std::string cycle;
    for (size_t j = i; j < stack_.size(); ++j) cycle += stack_[j].second + " -> ";
    error(at, "include cycle: " + cycle + stack_[i].second);
    return;
  }
  if (!loaded_.insert(id).second) return;  // already merged through another include
  auto text = read_file(path);
  if (!text) {
    error(at, "cannot read included file '" + path + "': " + text.error().message);
    return;
  }
  toml::table root;
  try {
    root = parse_document(*text);
  } catch (const toml::parse_error& e) {
    syntax_error(path, e);
    return;
  }
  plan_.files.push_back(path);
  Source src(path, *text);
  stack_.push_back({id, path});
  load_file(root, src, /*is_main=*/false);
  stack_.pop_back();
}

}  // namespace loader

std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags) {
  return load_plan_text(text, path, diags, SectionLimits{});
}

std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags, const SectionLimits& limits,
                                   size_t* sections_loaded) {
  if (sections_loaded) *sections_loaded = 0;
  if (auto parts = split_plan_sections(text, limits)) {
    Diagnostics local;  // kept only if every part parses: else the whole load reports
    if (auto plan = loader::Loader(local).load_main_sections(text, path, *parts)) {
      diags.append(local);
      if (sections_loaded) *sections_loaded = parts->sections.size();
      return plan;
    }
  }
  return loader::Loader(diags).load_main(text, path);
}

std::optional<Plan> load_plan_file(const std::string& path, Diagnostics& diags) {
  auto text = loader::read_file(path);
  if (!text) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read plan: " + text.error().message);
    return std::nullopt;
  }
  return load_plan_text(*text, path, diags);
}

}  // namespace ordo
