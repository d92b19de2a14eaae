// RunLock: one run of a plan at a time per state dir. The lock is the file <state>/<plan>/lock,
// held with flock(2) for the life of the run (the kernel releases it when the holder dies, even
// by SIGKILL) and holding a few lines for humans:
//
//   pid 1234
//   host vm
//   since 2026-11-26T02:10:00Z
//   run 20261126T021000Z-1a2b
//
// A lock file that exists but is not flock-ed was left by a holder that died: it is taken over
// (acquire() reports it in `stale`). release() removes the file (only if it is still ours).
// The descriptor is O_CLOEXEC, so steps never inherit the lock.
// A RunLock is owned by the command that runs the plan; not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "result.h"

namespace ordo {

// What a lock file says about its holder.
struct LockHolder {
  long pid = 0;
  std::string host;
  std::string since;        // ISO-8601 UTC
  std::string run;          // run id ("" before it is known)
  bool alive_here = false;  // same host and kill(pid, 0) finds it
  // On this host and gone: if the lock is still held, something it left holds it.
  bool orphaned() const;
};
LockHolder parse_lock_text(const std::string& text);
// "pid 1234 on host vm since 02:10:00 (run 2026...)"
std::string describe_holder(const LockHolder& h);

class RunLock {
 public:
  enum class Outcome { Acquired, Busy };
  RunLock() = default;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();  // release()

  // Tries to take the lock at `path`. Busy: `holder` says who has it. Acquired after a dead
  // holder: `stale` says who that was. Does not wait, except while the lock is held although
  // its holder is gone (a child of a killed ordo between fork and exec): up to kOrphanWait.
  static constexpr std::chrono::milliseconds kOrphanWait{3000};
  Result<Outcome> acquire(const std::string& path);
  // Rewrites the file's contents (pid, host, since, run). REQUIRES: acquired.
  Status describe(const std::string& run_id);
  void release();

  bool held() const { return fd_ >= 0; }
  const LockHolder& holder() const { return holder_; }
  const std::optional<LockHolder>& stale() const { return stale_; }

 private:
  int fd_ = -1;
  std::string path_;
  std::string since_;
  LockHolder holder_;
  std::optional<LockHolder> stale_;
};

// `ordo unlock`: what is there, and removing it.
struct LockProbe {
  bool exists = false;
  bool held = false;  // flock-ed by a live process
  LockHolder holder;
};
Result<LockProbe> probe_lock(const std::string& path);
Status remove_lock_file(const std::string& path);

std::string this_host();

}  // namespace ordo
