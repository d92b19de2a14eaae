// watch_child: the parent's half of run_process (executors-internal). Given a spawned child and
// the read ends of its stdout/stderr pipes, it runs one poll() loop on the calling thread over
// the two pipes, the child's pidfd and a per-thread eventfd for stop requests, until the child
// is reaped and both pipes are closed:
// - output is split into lines for spec.on_line (a line longer than 64 KiB comes in pieces, a
//   final partial line is flushed at EOF) and captured (stdout, stderr on request) up to
//   spec.capture_limit bytes;
// - at spec.deadline or on a stop request: SIGTERM (and SIGCONT) to the group, SIGKILL after
//   spec.kill_grace;
// - when the leader exits, the group is SIGKILLed before the leader is reaped (its pgid cannot
//   be reused yet), and the pipes are drained for at most 500 ms (a process that escaped the
//   group may hold them forever).
// If on_line throws, the group is SIGKILLed and the leader reaped before the exception leaves.
// It owns and closes out_fd, err_fd and child.pidfd in every case.
#pragma once

#include "process.h"
#include "spawn.h"

namespace ordo {

void watch_child(const ProcessSpec& spec, const Spawned& child, int out_fd, int err_fd,
                 ProcessResult& r);

}  // namespace ordo
