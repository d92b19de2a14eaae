// The built-in executor kinds: builtin_registry() is the one table of them (no static
// self-registration: a static library would silently drop unreferenced kinds).
#pragma once

#include "registry.h"

namespace ordo {

Registry builtin_registry();

}  // namespace ordo
