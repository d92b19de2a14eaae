// render_svg: render_dot piped through Graphviz's `dot -Tsvg`.
//
// The DOT goes to `dot` as a temp file and its stderr to another, so only stdout is a pipe and
// nothing can deadlock on a full pipe. Spawned with posix_spawn (Boost.Process belongs to
// executors/process.cpp alone).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "render.h"

extern char** environ;

namespace ordo {

namespace {

const char kNoDot[] = "ordo graph --format svg needs Graphviz's `dot` (apt-get install graphviz)";

// The full path of an executable `name` on PATH, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t i = 0; i <= dirs.size();) {
    size_t j = dirs.find(':', i);
    if (j == std::string::npos) j = dirs.size();
    std::string dir = j > i ? dirs.substr(i, j - i) : ".";
    std::string file = dir + "/" + name;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0)
      return file;
    i = j + 1;
  }
  return "";
}

// A temp file that is closed and removed when this goes out of scope.
class TempFile {
 public:
  TempFile() {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/ordo-graph-XXXXXX";
    fd_ = ::mkostemp(path_.data(), O_CLOEXEC);
    if (fd_ < 0) path_.clear();
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

bool write_all(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Error sys_error(const char* what) {
  return make_error(std::string("ordo graph --format svg: ") + what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::string> render_svg(const Plan& plan, const Graph& graph, const RenderOptions& opts) {
  return render_svg(full_view(plan, graph), opts);
}

Result<std::string> render_svg(const GraphView& view, const RenderOptions& opts) {
  std::string dot = find_on_path("dot");
  if (dot.empty()) return make_error(kNoDot);

  TempFile input, errors;
  if (!input.ok() || !errors.ok()) return sys_error("cannot create a temp file");
  if (!write_all(input.fd(), render_dot(view, opts))) return sys_error("write");

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return sys_error("pipe");

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);  // no stdin
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);                    // stdout: the SVG
  posix_spawn_file_actions_adddup2(&fa, errors.fd(), 2);               // stderr: for errors
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_default;
  sigemptyset(&none);
  sigemptyset(&pipe_default);
  sigaddset(&pipe_default, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);             // no blocked signals inherited
  posix_spawnattr_setsigdefault(&attr, &pipe_default);  // SIGPIPE default even if we ignore it
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::string flag = "-Tsvg";
  std::string file = input.path();
  char* argv[] = {dot.data(), flag.data(), file.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, dot.c_str(), &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    if (rc == ENOENT) return make_error(kNoDot);
    errno = rc;
    return sys_error("cannot run dot");
  }

  std::string svg = read_all(out[0]);
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return svg;
  ::lseek(errors.fd(), 0, SEEK_SET);
  std::string err = read_all(errors.fd());
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  return make_error("dot -Tsvg failed (" + how + ")" + (err.empty() ? "" : ": " + err));
}

}  // namespace ordo
