// `ordo unlock PLAN`: removes the plan's run lock (<state>/<plan>/lock) when its holder is gone.
// A lock still held (flock) by a live process is left alone (exit 3) unless --force: then the
// file is removed and the holder runs on, unguarded, beside whatever starts next.
#include <iostream>

#include "commands.h"
#include "run_lock.h"
#include "run_session.h"

namespace ordo::cli {

int cmd_unlock(const UnlockOptions& opts) {
  std::optional<std::string> name = plan_name_of(opts.plan);
  if (!name) return kExitInvalid;
  const std::string path = lock_path(state_dir_of(opts.common), *name);
  Result<LockProbe> probe = probe_lock(path);
  if (!probe.ok()) {
    std::cerr << "ordo: " << probe.error().str() << "\n";
    return kExitInvalid;
  }
  if (!probe->exists) {
    std::cout << "Plan " << *name << " is not locked (no " << path << ").\n";
    return kExitOk;
  }
  const std::string who = describe_holder(probe->holder);
  if (probe->held && !opts.force) {
    std::cerr << "ordo: plan " << *name << " is being run by " << who
              << "; not removing the lock of a live run (--force removes it anyway)\n";
    return kExitRefused;
  }
  if (Status st = remove_lock_file(path); !st.ok()) {
    std::cerr << "ordo: " << st.error().str() << "\n";
    return kExitInvalid;
  }
  if (probe->held)
    std::cout << "Removed the lock of plan " << *name << " held by " << who
              << " (--force): that run goes on, and another may now start beside it.\n";
  else
    std::cout << "Removed the stale lock of plan " << *name << " left by " << who << ".\n";
  return kExitOk;
}

}  // namespace ordo::cli
