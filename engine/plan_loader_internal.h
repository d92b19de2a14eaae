// Loader: the state of one plan load (main file plus includes), shared by the loader's files.
// Private to the plan loader; the public entry points are in plan_loader.h.
//
// Its members are defined by concept:
//   plan_loader.cpp  entry points, the main file, includes, [plan], duplicate step ids
//   load_vars.cpp    [vars] (short and long form) and `--vars FILE` (load_vars_file)
//   load_steps.cpp   [steps.ID]: the step id, the common step keys, executor params
//   load_step_tables.cpp  the nested step tables: retries, env, outputs
//   toml_convert.*   toml++ node -> Value / typed field, with positions (see toml_convert.h)
//   plan_sections.*  splits a big main file into a prefix and sections of [steps.ID] tables,
//                    which load_main_sections parses and converts one at a time
// Files are loaded depth-first: a file's includes, then its [vars], then its [steps], so
// diagnostics and plan order follow that order. One instance per load; not thread-safe
// (separate instances share nothing).
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "diagnostics.h"
#include "plan.h"
#include "plan_sections.h"
#include "result.h"
#include "toml_convert.h"

namespace ordo::loader {

// Reads a whole file; on failure returns the strerror text as the error message.
Result<std::string> read_file(const std::string& path);

// Gives the pages of freed memory back to the system (glibc's malloc_trim); load_steps.cpp.
void release_free_memory();

// One of the common step keys (plan.cpp common_step_keys()); defined in load_steps.cpp.
enum class CommonKey;

// Loads a main file and its includes into one Plan. One instance per load.
class Loader {
 public:
  explicit Loader(Diagnostics& diags) : diags_(diags) {}

  // Parses and loads the main file; nullopt on a syntax error (reported).
  std::optional<Plan> load_main(std::string_view text, const std::string& path);
  // Loads the main file split into `parts` (its prefix, then each section in turn); nullopt
  // if a part fails to parse or the prefix defines `steps` (nothing reported: the caller then
  // loads the whole text with a fresh Loader, which reports what the whole parse finds).
  std::optional<Plan> load_main_sections(std::string_view text, const std::string& path,
                                         const PlanSections& parts);

 private:
  void error(SourceLoc loc, std::string message) {
    diags_.error(std::move(loc), std::move(message));
  }
  void syntax_error(const std::string& path, const toml::parse_error& e);

  // ---- plan_loader.cpp: files, includes, [plan] ----

  // The identity of a file for cycle detection (the same file spelled two ways is one file).
  static std::string identity(const std::string& path);
  // Loads the main file from its parsed root (and, with `sections`, its split [steps]).
  std::optional<Plan> load_root(const toml::table& root, std::string_view text,
                                const std::string& path, const PlanSections* sections);
  // Reports every step id defined more than once and keeps only the first definition.
  void drop_duplicate_steps();
  // `sections`: the main file's [steps] come from these parts of its text, not from root.
  void load_file(const toml::table& root, Source& src, bool is_main,
                 const PlanSections* sections = nullptr);
  // Parses and loads each section's [steps.ID] tables; false if one fails to parse.
  bool load_step_sections(const PlanSections& parts, Source& src);
  void load_plan_table(const toml::table& t, const SourceLoc& loc, Source& src, bool is_main,
                       std::vector<std::pair<std::string, SourceLoc>>& includes);
  void load_include(const std::string& rel, const SourceLoc& at, const Source& includer);

  // ---- load_vars.cpp: [vars] ----

  void load_vars(const toml::table& t, Source& src);
  // The type a value implies in the short form, or nullopt (reported) for floats and dates.
  std::optional<VarType> infer_type(const VarDecl& var, const toml::node& v, Source& src);
  // Checks that the elements of a list variable are scalars.
  void check_list_elements(const VarDecl& var, const toml::node& v, Source& src);
  void load_var_short(VarDecl& var, const toml::node& v, Source& src);
  void load_var_long(VarDecl& var, const toml::table& t, Source& src);
  void check_default_type(const VarDecl& var, const toml::node& def, Source& src);
  void check_default_choice(const VarDecl& var);

  // ---- load_steps.cpp: [steps] ----

  void load_steps(const toml::table& t, Source& src);
  void load_step(const toml::key& k, const toml::node& v, Source& src);
  void load_common_key(StepDecl& s, CommonKey which, const std::string& key, const toml::node& v,
                       Source& src);

  // ---- load_step_tables.cpp: retries, env, outputs ----

  void load_retries(RetryPolicy& r, const toml::node& v, Source& src);
  void load_env(std::vector<EnvEntry>& out, const toml::node& v, Source& src);
  void load_outputs(std::vector<OutputDecl>& out, const toml::node& v, Source& src);

  Diagnostics& diags_;
  Plan plan_;
  std::unordered_map<std::string, SourceLoc> var_first_;    // var name -> first definition
  std::unordered_set<std::string> loaded_;                  // identities of merged files
  std::vector<std::pair<std::string, std::string>> stack_;  // (identity, path) being loaded
  bool parts_failed_ = false;  // a section of a split main file did not parse
};

}  // namespace ordo::loader
