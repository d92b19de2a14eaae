// ChildWatch: the parent's half of run_process (executors-internal). Given a spawned child and
// the read ends of its stdout/stderr pipes, it follows the child to its end without blocking:
// the owner polls the descriptors fill() lists (the two pipes and the child's pidfd), passes
// the results to handle(), calls on_timers() when next_timer() passes and check_stop() after a
// possible stop request, until done():
// - output is split into lines for spec.on_line (a line longer than 64 KiB comes in pieces, a
//   final partial line is flushed at EOF) and captured (stdout, stderr on request) up to
//   spec.capture_limit bytes;
// - at spec.deadline or on a stop request: SIGTERM (and SIGCONT) to the group, SIGKILL after
//   spec.kill_grace;
// - when the leader exits, the group is SIGKILLed before the leader is reaped (its pgid cannot
//   be reused yet), and the pipes are drained for at most 500 ms (a process that escaped the
//   group may hold them forever).
// It owns and closes out_fd, err_fd and child.pidfd in every case. Destroyed before done()
// (e.g. on_line threw), it SIGKILLs the group and reaps the leader.
// Not thread-safe: one owner thread. spec and r must outlive it.
//
// watch_child() runs one ChildWatch to its end in a poll() loop on the calling thread, with a
// per-thread eventfd for stop requests (run_process); ProcessReactor runs many in one loop.
#pragma once

#include <poll.h>

#include <optional>
#include <string>
#include <vector>

#include "process.h"
#include "spawn.h"

namespace ordo {

class ChildWatch {
 public:
  ChildWatch(const ProcessSpec& spec, const Spawned& child, int out_fd, int err_fd,
             ProcessResult& r);
  ChildWatch(const ChildWatch&) = delete;
  ChildWatch& operator=(const ChildWatch&) = delete;
  ~ChildWatch();

  // Appends the descriptors to poll (POLLIN); handle() gets the same entries back.
  void fill(std::vector<pollfd>& fds);
  // Reacts to the revents of the `count` entries fill() appended, starting at `first`. `buf` is
  // a scratch buffer of at least kReadChunk bytes.
  void handle(const pollfd* first, char* buf);
  // Terminates the group if spec.stop was requested (idempotent).
  void check_stop();
  // The next time on_timers() has something to do (deadline, end of grace, end of drain).
  std::optional<Clock::time_point> next_timer() const;
  void on_timers();
  // The leader is reaped and both pipes are closed: r is complete.
  bool done() const { return exited_ && !out_.open() && !err_.open(); }
  // True while the stop request can still change something (a stop descriptor is worth polling).
  bool stoppable() const { return !exited_ && !terminating_; }

  static constexpr size_t kReadChunk = 64 * 1024;  // one read() at most

 private:
  struct Stream {
    int fd = -1;
    OutputStream which = OutputStream::Stdout;
    std::string partial;             // the current line so far
    std::string* capture = nullptr;  // where to keep the first `limit` bytes (nullptr: don't)
    bool* truncated = nullptr;
    bool open() const { return fd >= 0; }
  };

  static void close_fd(int& fd);
  void kill_group(int sig) const;
  void terminate(bool* reason);
  void on_exit();
  void read_some(Stream& s, char* buf);
  void finish(Stream& s);
  void consume(Stream& s, std::string_view chunk);
  void emit(const Stream& s, std::string_view line) const;

  const ProcessSpec& spec_;
  ProcessResult& r_;
  const Clock::time_point t0_ = Clock::now();
  pid_t pid_;
  int pidfd_;
  Stream out_, err_;
  int i_out_ = -1, i_err_ = -1, i_pid_ = -1;  // offsets of the entries fill() appended
  bool exited_ = false;                       // leader reaped
  bool terminating_ = false;                  // SIGTERM sent
  std::optional<Clock::time_point> grace_end_, drain_end_;
};

// poll()'s timeout for a wake-up at `t` (nullopt: -1, none), rounded up to whole ms.
int poll_timeout_ms(std::optional<Clock::time_point> t);

void watch_child(const ProcessSpec& spec, const Spawned& child, int out_fd, int err_fd,
                 ProcessResult& r);

}  // namespace ordo
