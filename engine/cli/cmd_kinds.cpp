// `ordo kinds` and `ordo explain KIND`: the executor tables, for humans.
#include <fmt/core.h>

#include <algorithm>

#include "builtin.h"
#include "commands.h"
#include "diagnostics.h"

namespace ordo::cli {

int cmd_kinds() {
  Registry reg = builtin_registry();
  size_t width = 0;
  for (const auto& e : reg.all()) width = std::max(width, e->spec().kind.size());
  for (const auto& e : reg.all())
    fmt::print("{:<{}}  {}\n", e->spec().kind, width, e->spec().summary);
  fmt::print("\nRun `ordo explain KIND` for a kind's parameters and outputs.\n");
  return kExitOk;
}

static std::string param_line(const ParamSpec& p) {
  std::string line = fmt::format("  {:<14} {}", p.name, param_type_name(p.type));
  if (p.required) line += ", required";
  if (p.default_value) line += ", default " + p.default_value->to_string();
  line += "\n      " + p.doc;
  if (!p.choices.empty()) {
    line += "\n      one of:";
    for (const auto& c : p.choices) line += " " + c;
  }
  return line;
}

int cmd_explain(const std::string& kind) {
  Registry reg = builtin_registry();
  const Executor* e = reg.find(kind);
  if (!e) {
    fmt::print(stderr, "ordo: unknown kind '{}'{}\nKnown kinds: ", kind,
               did_you_mean(kind, reg.kinds()));
    auto kinds = reg.kinds();
    for (size_t i = 0; i < kinds.size(); ++i) fmt::print(stderr, "{}{}", i ? ", " : "", kinds[i]);
    fmt::print(stderr, "\n");
    return kExitInvalid;
  }
  const ExecutorSpec& s = e->spec();
  fmt::print("{} — {}\n\n{}\n", s.kind, s.summary, s.doc);
  if (s.watcher)
    fmt::print("\nA watcher: use it with `watches`; steps name it in `triggered_by`.\n");
  fmt::print("\nParameters (beside the common step keys):\n");
  if (s.params.empty()) fmt::print("  (none)\n");
  for (const auto& p : s.params) fmt::print("{}\n", param_line(p));
  fmt::print("\nOutputs (as ${{steps.ID.outputs.NAME}} and in `when`):\n");
  if (s.outputs.empty()) fmt::print("  (none)\n");
  for (const auto& o : s.outputs) fmt::print("  {:<14} {}\n", o.name, o.doc);
  if (!s.example.empty()) fmt::print("\nExample:\n\n{}", s.example);
  return kExitOk;
}

}  // namespace ordo::cli
