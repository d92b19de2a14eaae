// run_process: prepares a child (environment, executable, groups, pipes), spawns it
// (spawn.cpp: Boost.Process with its vfork launcher) and watches it to its end
// (process_watch.cpp: one poll() loop per process, no asio).
#include "process.h"

#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "process_watch.h"
#include "spawn.h"

extern char** environ;

namespace ordo {
namespace {

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// Finds argv0 on PATH like execvp; a name with a '/' is used as is (execve reports problems).
Result<std::string> resolve_exe(const std::string& argv0, const std::string& path) {
  if (argv0.find('/') != std::string::npos) return argv0;
  bool denied = false;
  size_t start = 0;
  std::string cand;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string_view dir(path.data() + start, end - start);
    if (dir.empty()) dir = ".";
    cand.clear();
    cand.append(dir).append(1, '/').append(argv0);
    struct stat st {};
    if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(cand.c_str(), X_OK) == 0) return cand;
      denied = true;
    }
    start = end + 1;
  }
  return make_error("cannot run '" + argv0 + "': " + errno_text(denied ? EACCES : ENOENT) +
                    " (searched PATH=" + path + ")");
}

// The child's stdout and stderr pipes; closes what is still open.
struct Pipes {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  Pipes() = default;
  Pipes(const Pipes&) = delete;
  Pipes& operator=(const Pipes&) = delete;
  ~Pipes() {
    for (int* p : {out, err})
      for (int i = 0; i < 2; ++i)
        if (p[i] >= 0) ::close(p[i]);
  }
  void close_write_ends() {
    ::close(out[1]);
    ::close(err[1]);
    out[1] = err[1] = -1;
  }
};

std::string failure_text(const ProcessSpec& spec, const Spawned& s) {
  const std::string why = errno_text(s.error);
  switch (s.stage) {
    case ChildStage::SetUser:
      return "cannot switch to user '" + spec.run_as.user + "' (uid " +
             std::to_string(spec.run_as.uid) + ", gid " + std::to_string(spec.run_as.gid) +
             "): " + why;
    case ChildStage::Chdir:
      return "cannot chdir to " + spec.run_as.cwd + ": " + why;
    case ChildStage::Stdio:
      return "cannot run '" + spec.argv[0] + "': cannot set up stdin/stdout/stderr: " + why;
    case ChildStage::None:
      return "cannot run '" + spec.argv[0] + "': vfork: " + why;
    case ChildStage::Pidfd:
      return "cannot run '" + spec.argv[0] + "': pidfd_open: " + why;
    case ChildStage::Exec:
      break;
  }
  return "cannot run '" + spec.argv[0] + "': " + why;
}

}  // namespace

std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

std::optional<StartedChild> start_process(const ProcessSpec& spec, ProcessResult& r) {
  if (spec.argv.empty()) {
    r.spawn_error = "cannot run an empty command";
    return std::nullopt;
  }
  if (spec.stop.stop_requested()) {
    r.cancelled = true;
    r.spawn_error = "cancelled before start";
    return std::nullopt;
  }

  // The environment, as "K=V" strings (all in one buffer) plus the pointer array execve wants.
  std::string env_text;
  std::vector<char*> envp;
  std::string path = "/usr/local/bin:/usr/bin:/bin";  // execvp's spirit when PATH is unset
  if (spec.run_as.env.empty()) {
    for (char** e = environ; e && *e; ++e) {
      envp.push_back(*e);
      if (std::string_view(*e).starts_with("PATH=")) path = *e + 5;
    }
  } else {
    size_t size = 0;
    for (const auto& [k, v] : spec.run_as.env) size += k.size() + v.size() + 2;
    env_text.reserve(size);  // no reallocation below: the pointers stay valid
    std::vector<size_t> starts;
    starts.reserve(spec.run_as.env.size());
    for (const auto& [k, v] : spec.run_as.env) {
      starts.push_back(env_text.size());
      env_text.append(k).append(1, '=').append(v).append(1, '\0');
      if (k == "PATH") path = v;
    }
    envp.reserve(starts.size() + 1);
    for (size_t at : starts) envp.push_back(env_text.data() + at);
  }
  envp.push_back(nullptr);

  auto exe = resolve_exe(spec.argv[0], path);
  if (!exe.ok()) {
    r.spawn_error = exe.error().message;
    return std::nullopt;
  }
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& s : spec.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);

  ChildPlan plan;
  plan.exe = exe->c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  if (!spec.run_as.cwd.empty()) plan.cwd = spec.run_as.cwd.c_str();

  // Switch only when it changes something: a non-root user may run steps as itself.
  std::vector<gid_t> groups;
  const RunAs& ra = spec.run_as;
  if (!ra.user.empty() && (ra.uid != ::geteuid() || ra.gid != ::getegid())) {
    int n = 32;
    for (;;) {
      groups.resize(static_cast<size_t>(n));
      int want = n;
      if (::getgrouplist(ra.user.c_str(), ra.gid, groups.data(), &want) >= 0) {
        groups.resize(static_cast<size_t>(want));
        break;
      }
      if (want <= n) want = n * 2;  // defensive: glibc sets want to the needed size
      n = want;
    }
    plan.switch_user = true;
    plan.uid = ra.uid;
    plan.gid = ra.gid;
    plan.groups = groups.data();
    plan.ngroups = groups.size();
  }

  Pipes pipes;
  if (::pipe2(pipes.out, O_CLOEXEC) != 0 || ::pipe2(pipes.err, O_CLOEXEC) != 0) {
    r.spawn_error = "cannot run '" + spec.argv[0] + "': pipe: " + errno_text(errno);
    return std::nullopt;
  }
  plan.stdout_fd = pipes.out[1];
  plan.stderr_fd = pipes.err[1];

  const Spawned child = spawn_child(plan);
  pipes.close_write_ends();  // only the child's copies remain, so EOF comes with its end
  if (child.pid <= 0) {
    r.spawn_error = failure_text(spec, child);
    return std::nullopt;
  }
  r.started = true;
  StartedChild started{child, pipes.out[0], pipes.err[0]};
  pipes.out[0] = pipes.err[0] = -1;  // the caller owns them now
  return started;
}

ProcessResult run_process(const ProcessSpec& spec) {
  ProcessResult r;
  if (auto c = start_process(spec, r)) watch_child(spec, c->child, c->out_fd, c->err_fd, r);
  return r;
}

}  // namespace ordo
