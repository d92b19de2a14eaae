// Factory functions of the built-in executors, one per kind; each is defined in the kind's
// own file (executors/<kind>.cpp) beside its parameter table. builtin.cpp lists them.
#pragma once

#include <memory>

#include "executor.h"

namespace ordo {

std::unique_ptr<Executor> make_noop_executor();
std::unique_ptr<Executor> make_exec_executor();
std::unique_ptr<Executor> make_shell_executor();
std::unique_ptr<Executor> make_systemd_executor();
std::unique_ptr<Executor> make_pip_executor();
std::unique_ptr<Executor> make_sql_executor();
std::unique_ptr<Executor> make_pg_dump_executor();
std::unique_ptr<Executor> make_file_executor();
std::unique_ptr<Executor> make_confirm_executor();
std::unique_ptr<Executor> make_wait_for_executor();
std::unique_ptr<Executor> make_lock_watchdog_executor();

}  // namespace ordo
