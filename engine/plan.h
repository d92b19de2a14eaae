// Plan: the plain-data form of a TOML plan after loading (and merging its includes).
//
// Every item keeps the file:line:col it came from so that validation and runtime errors can
// point at the source. A Plan is produced by plan_loader, checked by validate(), and is then
// read-only. Nothing here knows about toml++ or executors. Not thread-safe for mutation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "boxed.h"
#include "duration.h"
#include "result.h"
#include "value.h"

namespace ordo {

enum class VarType { String, Bool, Int, Path, List, Duration };
const char* var_type_name(VarType t);  // "string", "bool", ...
std::optional<VarType> parse_var_type(std::string_view s);

// One entry of [vars]: `name = value` (short form) or [vars.name] (long form).
struct VarDecl {
  std::string name;
  VarType type = VarType::String;
  Value default_value;  // null when the long form gives no default (then it must be set)
  std::string description;
  bool secret = false;               // long form `secret = true`: redacted in output and reports
  std::vector<std::string> choices;  // long form `choices = [...]` (optional)
  SourceLoc loc;                     // position of the name
};

// A reference to another step by id, with where the reference was written.
struct StepRef {
  std::string id;
  SourceLoc loc;
};

// `retries = 2` or `retries = { attempts = 3, backoff = "2s", max_backoff = "1m", jitter = true }`.
struct RetryPolicy {
  Millis backoff{1000};       // wait before the 2nd attempt; doubles each time
  Millis max_backoff{60000};  // cap for the doubling
  int attempts = 1;           // attempts in all (retries = N means N+1)
  bool jitter = false;        // randomise each wait in [wait/2, wait]
};

// One `env` entry: NAME = "v", or NAME = { prepend = "..." } / { append = "..." }.
struct EnvEntry {
  enum class Mode { Set, Prepend, Append };
  std::string name;
  Mode mode = Mode::Set;
  std::string value;  // may contain ${...}
  SourceLoc loc;
};

// One `outputs` entry: NAME = { from = "stdout"|"stderr", regex = "..." } (regex optional:
// first capture group, or the whole match; without regex the trimmed stream).
struct OutputDecl {
  std::string name;
  std::string from = "stdout";
  std::string regex;
  SourceLoc loc;
};

// A text that may contain ${...} references, with its position.
struct LocatedText {
  std::string text;
  SourceLoc loc;
  bool empty() const { return text.empty(); }
};

// [steps.ID]: the common keys parsed into fields; everything else is an executor parameter.
// A plan holds one per step (100k steps: 100k of them for the whole run), so the members are
// laid out without padding (the flags together at the end) and the rarely set texts are boxed.
struct StepDecl {
  std::string id;
  SourceLoc loc;  // position of the [steps.ID] header (or of the id key)
  std::string kind;
  SourceLoc kind_loc;
  std::string description;

  std::vector<StepRef> requires_;  // `requires`
  // The rarely given lists are boxed (8 bytes each when empty; BoxedVector, boxed.h).
  BoxedVector<StepRef> after;
  BoxedVector<StepRef> on_failure;
  BoxedVector<StepRef> watches;  // non-empty: this step is a watcher
  BoxedVector<StepRef> triggered_by;
  Boxed<LocatedText> when;  // expression text

  std::optional<Millis> timeout;  // per attempt
  Millis kill_grace{10000};
  RetryPolicy retries;
  // user, venv, cwd: may contain ${...}; boxed (rarely set): unset reads as an empty text
  // through value_or_empty().
  Boxed<LocatedText> user;
  BoxedVector<EnvEntry> env;
  Boxed<LocatedText> venv;
  Boxed<LocatedText> cwd;
  BoxedVector<OutputDecl> outputs;
  BoxedVector<std::string> tags;

  ValueTable params;  // executor parameters, raw (uninterpolated), with positions

  bool always = false;
  bool handles = false;  // an on_failure handler whose success handles the failure
  bool idempotent = true;

  bool is_watcher() const { return !watches.empty(); }
  bool is_triggered() const { return !triggered_by.empty(); }
};

struct Plan {
  std::string name;
  std::string description;
  std::string path;                // the main file as given
  std::vector<std::string> files;  // main file then each included file, in load order
  std::vector<VarDecl> vars;       // declaration order (includes merged)
  std::vector<StepDecl> steps;     // declaration order (includes first, then this file)
  SourceLoc loc;

  const StepDecl* find_step(std::string_view id) const;
  const VarDecl* find_var(std::string_view name) const;
  // Index of the step in `steps`, or -1.
  int step_index(std::string_view id) const;
};

// The common step keys, in the order of the plan-language table.
const std::vector<std::string>& common_step_keys();

}  // namespace ordo
