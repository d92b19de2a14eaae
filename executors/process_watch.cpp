// ChildWatch and watch_child (see process_watch.h).
#include "process_watch.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stop_token>
#include <system_error>

namespace ordo {
namespace {

constexpr size_t kMaxLine = 64 * 1024;                            // longer lines come in pieces
constexpr auto kDrainAfterExit = std::chrono::milliseconds(500);  // escapees holding a pipe

// This thread's wake-up descriptor for stop requests: created on first use, reused by every
// later run on the thread (a stop_callback cannot fire once destroyed, so a stale wake-up is
// at most one spurious read, drained at the start of the next run).
int thread_wake_fd() {
  struct Holder {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ~Holder() {
      if (fd >= 0) ::close(fd);
    }
  };
  static thread_local Holder h;
  return h.fd;
}

void drain_wake(int fd) {
  uint64_t v;
  while (::read(fd, &v, sizeof v) > 0) {
  }
}

struct Wake {
  int fd;
  void operator()() const noexcept {
    const uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  }
};

}  // namespace

ChildWatch::ChildWatch(const ProcessSpec& spec, const Spawned& child, int out_fd, int err_fd,
                       ProcessResult& r)
    : spec_(spec), r_(r), pid_(child.pid), pidfd_(child.pidfd) {
  out_.fd = out_fd;
  err_.fd = err_fd;
  err_.which = OutputStream::Stderr;
  out_.capture = &r_.stdout_text;
  out_.truncated = &r_.stdout_truncated;
  if (spec_.capture_stderr) {
    err_.capture = &r_.stderr_text;
    err_.truncated = &r_.stderr_truncated;
  }
}

// No zombies, no orphans: if we unwind (on_line threw) before the child was reaped, kill the
// group and reap the leader here.
ChildWatch::~ChildWatch() {
  if (!exited_) {
    kill_group(SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  close_fd(out_.fd);
  close_fd(err_.fd);
  close_fd(pidfd_);
}

void ChildWatch::fill(std::vector<pollfd>& fds) {
  int n = 0;
  i_out_ = i_err_ = i_pid_ = -1;
  if (out_.open()) fds.push_back({out_.fd, POLLIN, 0}), i_out_ = n++;
  if (err_.open()) fds.push_back({err_.fd, POLLIN, 0}), i_err_ = n++;
  if (!exited_) fds.push_back({pidfd_, POLLIN, 0}), i_pid_ = n++;
}

void ChildWatch::handle(const pollfd* first, char* buf) {
  if (i_out_ >= 0 && first[i_out_].revents) read_some(out_, buf);
  if (i_err_ >= 0 && first[i_err_].revents) read_some(err_, buf);
  if (i_pid_ >= 0 && first[i_pid_].revents) on_exit();
}

void ChildWatch::check_stop() {
  if (spec_.stop.stop_requested()) terminate(&r_.cancelled);
}

void ChildWatch::close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void ChildWatch::kill_group(int sig) const {
  if (pid_ > 1) ::kill(-pid_, sig);  // never kill(0) or kill(-1)
}

std::optional<Clock::time_point> ChildWatch::next_timer() const {
  std::optional<Clock::time_point> t;
  if (!exited_ && !terminating_ && spec_.deadline) t = *spec_.deadline;
  if (!exited_ && grace_end_) t = *grace_end_;
  if (exited_ && drain_end_) t = *drain_end_;
  return t;
}

void ChildWatch::on_timers() {
  if (!spec_.deadline && !grace_end_ && !drain_end_) return;
  const auto now = Clock::now();
  if (!exited_ && !terminating_ && spec_.deadline && now >= *spec_.deadline)
    terminate(&r_.timed_out);
  if (!exited_ && grace_end_ && now >= *grace_end_) {
    grace_end_.reset();
    r_.killed = true;
    kill_group(SIGKILL);
  }
  if (exited_ && drain_end_ && now >= *drain_end_) {
    drain_end_.reset();
    finish(out_);
    finish(err_);
  }
}

// Deadline or stop: SIGTERM to the group, SIGKILL after kill_grace unless it exits first.
void ChildWatch::terminate(bool* reason) {
  if (exited_ || terminating_) return;
  terminating_ = true;
  *reason = true;
  kill_group(SIGTERM);
  kill_group(SIGCONT);  // a stopped process only sees SIGTERM once continued
  grace_end_ = Clock::now() + spec_.kill_grace;
}

void ChildWatch::on_exit() {
  // The leader is a zombie until reaped, so its pid (= pgid) cannot have been reused: its
  // orphans go with it now.
  kill_group(SIGKILL);
  int st = 0;
  pid_t got;
  while ((got = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
  }
  exited_ = true;
  grace_end_.reset();
  r_.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - t0_);
  close_fd(pidfd_);
  if (got < 0) {
    r_.wait_error = std::system_category().message(errno);
  } else if (WIFEXITED(st)) {
    r_.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    r_.signal = WTERMSIG(st);
  } else {
    r_.wait_error = "no exit status collected";
  }
  if (out_.open() || err_.open()) drain_end_ = Clock::now() + kDrainAfterExit;
}

void ChildWatch::read_some(Stream& s, char* buf) {
  ssize_t n;
  while ((n = ::read(s.fd, buf, kReadChunk)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    consume(s, std::string_view(buf, static_cast<size_t>(n)));
    return;
  }
  if (n < 0 && errno == EAGAIN) return;
  finish(s);  // EOF (or a read error: nothing more will come)
}

// EOF, or the drain ran out: flush the partial line and close.
void ChildWatch::finish(Stream& s) {
  if (!s.open()) return;
  close_fd(s.fd);
  if (!s.partial.empty()) {
    std::string last = std::move(s.partial);
    s.partial.clear();
    emit(s, last);
  }
}

void ChildWatch::consume(Stream& s, std::string_view chunk) {
  if (s.capture) {
    const size_t room = spec_.capture_limit - std::min(spec_.capture_limit, s.capture->size());
    s.capture->append(chunk.substr(0, room));
    if (chunk.size() > room) *s.truncated = true;
  }
  while (!chunk.empty()) {
    const size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      s.partial.append(chunk);
      while (s.partial.size() >= kMaxLine) {
        emit(s, std::string_view(s.partial).substr(0, kMaxLine));
        s.partial.erase(0, kMaxLine);
      }
      return;
    }
    if (s.partial.empty()) {
      emit(s, chunk.substr(0, nl));
    } else {
      s.partial.append(chunk.substr(0, nl));
      emit(s, s.partial);
      s.partial.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void ChildWatch::emit(const Stream& s, std::string_view line) const {
  if (spec_.on_line) spec_.on_line(s.which, line);
}

int poll_timeout_ms(std::optional<Clock::time_point> t) {
  if (!t) return -1;
  const auto left = *t - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<Millis>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

void watch_child(const ProcessSpec& spec, const Spawned& child, int out_fd, int err_fd,
                 ProcessResult& r) {
  ChildWatch w(spec, child, out_fd, err_fd, r);
  int wake = -1;
  std::optional<std::stop_callback<Wake>> on_stop;
  if (spec.stop.stop_possible()) {
    wake = thread_wake_fd();
    if (wake >= 0) {
      drain_wake(wake);
      on_stop.emplace(spec.stop, Wake{wake});
    }
  }
  char buf[ChildWatch::kReadChunk];  // uninitialised: read() fills it
  std::vector<pollfd> fds;
  w.check_stop();
  while (!w.done()) {
    fds.clear();
    w.fill(fds);
    const size_t i_wake = fds.size();
    const bool poll_wake = wake >= 0 && w.stoppable();
    if (poll_wake) fds.push_back({wake, POLLIN, 0});
    const int k =
        ::poll(fds.data(), static_cast<nfds_t>(fds.size()), poll_timeout_ms(w.next_timer()));
    if (k < 0 && errno != EINTR) throw std::system_error(errno, std::system_category(), "poll");
    if (k > 0) {
      w.handle(fds.data(), buf);
      if (poll_wake && fds[i_wake].revents) {
        drain_wake(wake);
        w.check_stop();
      }
    }
    w.on_timers();
  }
}

}  // namespace ordo
