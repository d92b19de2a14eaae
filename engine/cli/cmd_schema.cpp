// `ordo schema`: print the JSON Schema of plan files, generated from the executor tables.
// schemas/plan.schema.json is this output, checked in (a test keeps it fresh).
#include <cstdio>

#include "builtin.h"
#include "commands.h"
#include "schema.h"

namespace ordo::cli {

int cmd_schema() {
  std::string text = plan_json_schema(builtin_registry());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace ordo::cli
