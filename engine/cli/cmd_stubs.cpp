// Temporary: subcommands whose implementation has not landed yet fail clearly.
#include <cstdio>

#include "commands.h"

namespace ordo::cli {

static int not_yet(const char* what) {
  std::fprintf(stderr, "ordo: `%s` is not implemented yet\n", what);
  return kExitInvalid;
}
int cmd_check(const std::vector<std::string>&, const CommonOptions&) { return not_yet("check"); }
int cmd_plan(const PlanOptions&) { return not_yet("plan"); }
int cmd_graph(const GraphOptions&) { return not_yet("graph"); }
int cmd_schema() { return not_yet("schema"); }

}  // namespace ordo::cli
