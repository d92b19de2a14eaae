#include "builtin.h"

#include "kinds.h"

namespace ordo {

Registry builtin_registry() {
  Registry r;
  // The one table of kinds, in the order `ordo kinds` lists them.
  r.add(make_noop_executor());
  return r;
}

}  // namespace ordo
