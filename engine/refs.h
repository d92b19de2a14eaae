// Ref: a name used in `${...}` interpolation or in a `when` expression, and Scope, the
// interface that resolves refs to values at run time (or at plan time for vars and facts).
//
// Accepted forms: `name` and `vars.name` (a variable), `steps.ID.status`, `steps.ID.fired`,
// `steps.ID.outputs.NAME` (NAME may itself contain dots, e.g. `after.indico`), `facts.NAME`.
// Pure data + an interface; thread-safety is the Scope implementation's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "value.h"

namespace ordo {

struct Ref {
  enum class Kind { Var, StepStatus, StepFired, StepOutput, Fact };
  Kind kind = Kind::Var;
  std::string name;  // var name, fact name, or output name
  std::string step;  // for Step* kinds
  SourceLoc loc;     // where the reference starts in the plan file

  std::string str() const;  // canonical spelling: "vars.x", "steps.a.status", ...
};

// Parses a dotted name. Errors say what is wrong ("unknown step attribute 'stats' ...").
Result<Ref> parse_ref(std::string_view dotted, SourceLoc loc);

// The fact names ordo knows: os_id, os_family, os_version, hostname, user.
const std::vector<std::string>& known_facts();

// Resolves refs to values. Returns nullopt when the value is not (yet) known.
class Scope {
 public:
  virtual ~Scope() = default;
  virtual std::optional<Value> lookup(const Ref& ref) const = 0;
};

}  // namespace ordo
