#include "run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "events_json.h"
#include "journal.h"

namespace ordo {
namespace {

std::string read_fd(int fd) {
  std::string text;
  char buf[1024];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
    if (text.size() > 64 * 1024) break;
  }
  return text;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// "2026-11-26T02:10:00.123Z" -> local "02:10:00" (today) or "2026-11-26 02:10:00".
std::string local_time_text(const std::string& iso) {
  std::tm tm{};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return iso;
  std::time_t t = timegm(&tm);
  std::tm local{}, now{};
  localtime_r(&t, &local);
  std::time_t n = std::time(nullptr);
  localtime_r(&n, &now);
  char buf[32];
  const char* fmt = local.tm_yday == now.tm_yday && local.tm_year == now.tm_year
                        ? "%H:%M:%S"
                        : "%Y-%m-%d %H:%M:%S";
  std::strftime(buf, sizeof buf, fmt, &local);
  return buf;
}

}  // namespace

std::string this_host() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

LockHolder parse_lock_text(const std::string& text) {
  LockHolder h;
  std::istringstream in(text);
  std::string key, value;
  while (in >> key) {
    std::getline(in, value);
    size_t b = value.find_first_not_of(' ');
    value = b == std::string::npos ? "" : value.substr(b);
    if (key == "pid")
      h.pid = std::strtol(value.c_str(), nullptr, 10);
    else if (key == "host")
      h.host = value;
    else if (key == "since")
      h.since = value;
    else if (key == "run")
      h.run = value;
  }
  h.alive_here = h.pid > 0 && h.host == this_host() &&
                 (::kill(static_cast<pid_t>(h.pid), 0) == 0 || errno == EPERM);
  return h;
}

bool LockHolder::orphaned() const {
  return pid > 0 && host == this_host() && !alive_here;
}

std::string describe_holder(const LockHolder& h) {
  std::string s = h.pid > 0 ? fmt::format("pid {}", h.pid) : std::string("an unknown process");
  if (!h.host.empty()) s += " on host " + h.host;
  if (!h.since.empty()) s += " since " + local_time_text(h.since);
  if (!h.run.empty()) s += " (run " + h.run + ")";
  return s;
}

RunLock::~RunLock() {
  release();
}

Result<RunLock::Outcome> RunLock::acquire(const std::string& path) {
  release();
  const auto give_up = std::chrono::steady_clock::now() + kOrphanWait;
  for (int replaced = 0; replaced < 10;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("cannot open the lock " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      holder_ = parse_lock_text(read_fd(fd));
      ::close(fd);
      if (err != EWOULDBLOCK) return make_error("cannot lock " + path + ": " + std::strerror(err));
      // Held, but its holder is gone: a child it forked has not reached execve(2) yet (the
      // descriptor is close-on-exec). That takes moments; wait for it.
      if (holder_.orphaned() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      return Outcome::Busy;
    }
    // The file may have been removed (by its holder's release) between open and flock: then
    // this lock guards nothing. Try again on the file now at `path`.
    if (!same_file(fd, path)) {
      ::close(fd);
      ++replaced;
      continue;
    }
    std::string left = read_fd(fd);
    if (left.find_first_not_of(" \n") != std::string::npos) stale_ = parse_lock_text(left);
    fd_ = fd;
    path_ = path;
    since_ = format_utc_ms(std::chrono::system_clock::now());
    TRY(describe(""));
    return Outcome::Acquired;
  }
  return make_error("cannot lock " + path + ": it keeps being replaced");
}

Status RunLock::describe(const std::string& run_id) {
  std::string text = fmt::format("pid {}\nhost {}\nsince {}\n", ::getpid(), this_host(), since_);
  if (!run_id.empty()) text += "run " + run_id + "\n";
  if (::ftruncate(fd_, 0) != 0) return make_error("cannot write the lock " + path_);
  if (::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return make_error("cannot write the lock " + path_);
  return Ok{};
}

void RunLock::release() {
  if (fd_ < 0) return;
  // Remove the file while still holding the lock, and only if it is still ours (unlock --force
  // may have replaced it).
  if (same_file(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

Result<LockProbe> probe_lock(const std::string& path) {
  LockProbe p;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return p;
    return make_error("cannot open the lock " + path + ": " + std::strerror(errno));
  }
  p.exists = true;
  p.holder = parse_lock_text(read_fd(fd));
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    p.held = errno == EWOULDBLOCK;
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return p;
}

Status remove_lock_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_error("cannot remove " + path + ": " + std::strerror(errno));
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) (void)sync_dir(path.substr(0, slash));
  return Ok{};
}

}  // namespace ordo
