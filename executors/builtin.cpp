#include "builtin.h"

#include "kinds.h"

namespace ordo {

Registry builtin_registry() {
  Registry r;
  // The one table of kinds, in the order `ordo kinds` lists them.
  r.add(make_noop_executor());
  r.add(make_exec_executor());
  r.add(make_shell_executor());
  r.add(make_systemd_executor());
  r.add(make_pip_executor());
  r.add(make_sql_executor());
  r.add(make_pg_dump_executor());
  r.add(make_file_executor());
  r.add(make_confirm_executor());
  r.add(make_wait_for_executor());
  r.add(make_lock_watchdog_executor());
  return r;
}

}  // namespace ordo
