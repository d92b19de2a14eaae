#include "state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>

#include <fmt/core.h>

namespace ordo {

std::string default_state_dir(bool root, const char* xdg_state_home, const char* home) {
  if (root) return "/var/lib/ordo";
  if (xdg_state_home && xdg_state_home[0] == '/') return std::string(xdg_state_home) + "/ordo";
  std::string h = home && *home ? home : "/tmp";
  return h + "/.local/state/ordo";
}

std::string default_state_dir() {
  return default_state_dir(::geteuid() == 0, std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
}

std::string make_run_id(std::chrono::system_clock::time_point t, uint32_t random) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:04x}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, random & 0xffffu);
}

std::string new_run_id() {
  std::random_device rd;
  return make_run_id(std::chrono::system_clock::now(), rd());
}

Status make_private_dirs(const std::string& path) {
  if (path.empty()) return make_error("empty directory path");
  std::string cur;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    cur = path.substr(0, next);
    pos = next + 1;
    if (cur.empty()) continue;  // leading '/'
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
      return make_error("cannot create directory " + cur + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(path + " is not a directory");
  return Ok{};
}

Status create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return Ok{};
}

Result<RunPaths> create_run_dirs(const std::string& state_dir, const std::string& plan_name,
                                 const std::string& run_id) {
  RunPaths p;
  p.plan_dir = state_dir + "/" + plan_name;
  p.run_dir = p.plan_dir + "/runs/" + run_id;
  p.steps_dir = p.run_dir + "/steps";
  p.log_file = p.run_dir + "/ordo.log";
  TRY(make_private_dirs(p.steps_dir));
  return p;
}

}  // namespace ordo
