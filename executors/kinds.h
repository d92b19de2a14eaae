// Factory functions of the built-in executors, one per kind; each is defined in the kind's
// own file (executors/<kind>.cpp) beside its parameter table. builtin.cpp lists them.
#pragma once

#include <memory>

#include "executor.h"

namespace ordo {

std::unique_ptr<Executor> make_noop_executor();

}  // namespace ordo
