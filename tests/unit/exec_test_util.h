// Helpers shared by the domain executors' tests (test_exec_systemd/pip/pg_dump/file/confirm/
// wait_for): a StepContext built the way the scheduler builds it (params resolved against the
// kind's table, RunAs from step_env), the step's output lines, scratch directories, shell
// commands for test setup, and the simulated Indico host (examples/sandbox), one per test
// file. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "builtin.h"
#include "executor.h"
#include "step_env.h"

namespace ordo_test {

using namespace ordo;

inline const Registry& registry() {
  static const Registry r = builtin_registry();
  return r;
}

// A step of `kind` with `params` (already interpolated; defaults applied here), run as
// `user` (none: the current user) with `venv`/`cwd` like the scheduler gives them.
struct Step {
  StepContext ctx;
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::vector<std::string>> warnings = std::make_shared<std::vector<std::string>>();

  Step(const std::string& kind, const ValueTable& params, const std::string& user = "",
       const std::string& venv = "", const std::string& cwd = "") {
    const Executor* e = registry().find(kind);
    REQUIRE(e != nullptr);
    ctx.step_id = "t";
    ctx.kind = kind;
    ctx.params = resolve_params(e->spec(), params);
    StepEnvInput in;
    in.step_id = "t";
    in.user = user;
    in.venv = venv;
    in.cwd = cwd;
    auto ra = make_run_as(in);
    REQUIRE_MESSAGE(ra.ok(), (ra.ok() ? "" : ra.error().message));
    ctx.run_as = ra.value();
    ctx.kill_grace = Millis(2000);
    auto m = mu;
    auto l = lines;
    ctx.output = [m, l](OutputStream s, std::string_view line) {
      std::lock_guard g(*m);
      const char* tag = s == OutputStream::Info     ? "info: "
                        : s == OutputStream::Stderr ? "err: "
                                                    : "";
      l->push_back(tag + std::string(line));
    };
    auto w = warnings;
    ctx.warn = [m, w](std::string_view text) {
      std::lock_guard g(*m);
      w->emplace_back(text);
    };
  }

  Outcome run() { return registry().find(ctx.kind)->run(ctx); }

  // All output lines so far, one per line ("info: ..." / "err: ..." / stdout as is).
  std::string output() const {
    std::lock_guard g(*mu);
    std::string all;
    for (const auto& l : *lines) all += l + "\n";
    return all;
  }
  bool said(const std::string& text) const { return output().find(text) != std::string::npos; }
};

// An output of an outcome as text ("" when absent).
inline std::string out(const Outcome& o, const std::string& name) {
  const Value* v = table_find(o.outputs, name);
  if (!v) return "";
  return v->is_string() ? v->as_string() : v->to_text();
}
inline bool has_out(const Outcome& o, const std::string& name) {
  return table_find(o.outputs, name) != nullptr;
}

inline bool is_root() {
  return ::geteuid() == 0;
}

// A scratch directory under /tmp, mode 0755 (reachable by other users), removed at the end.
struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/tmp/ordo-exec-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
    ::chmod(path.c_str(), 0755);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

struct ShResult {
  int code = -1;
  std::string out;  // stdout and stderr
};

// Runs a setup command with /bin/sh (stderr merged); for preparing and inspecting fixtures.
inline ShResult sh(const std::string& cmd) {
  ShResult r;
  FILE* p = ::popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Single-quotes a word for sh.
inline std::string q(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

// The simulated Indico host (examples/sandbox/ordo-sandbox), started on first use with
// `flags` and torn down when the test program exits. Needs root (units run as ordo-sbx) and
// the PostgreSQL server binaries; `error` says why it could not start.
class Sandbox {
 public:
  explicit Sandbox(const std::string& flags) {
    const char* src = std::getenv("ORDO_SOURCE_ROOT");
    tool_ = std::string(src ? src : ".") + "/examples/sandbox/ordo-sandbox";
    char tmpl[] = "/tmp/osbx.XXXXXX";
    if (!::mkdtemp(tmpl)) {
      error = "mkdtemp failed";
      return;
    }
    root = tmpl;
    ShResult r = sh(q(tool_) + " up " + q(root) + " " + flags);
    if (r.code != 0) error = "ordo-sandbox up failed: " + r.out;
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  ~Sandbox() {
    if (!root.empty()) sh(q(tool_) + " down " + q(root));
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  bool ok() const { return error.empty(); }
  std::string fault(const std::string& verb, const std::string& name) const {
    return sh(q(tool_) + " fault " + q(root) + " " + verb + " " + name).out;
  }
  std::string venv() const { return root + "/opt/indico/.venv"; }
  std::string systemctl() const { return root + "/bin/systemctl"; }
  std::string user() const { return is_root() ? "ordo-sbx" : ""; }
  // Runs a command as the sandbox's Indico user (setup, not the code under test).
  ShResult as_user(const std::string& cmd) const {
    return sh(is_root() ? "runuser -u ordo-sbx -- sh -c " + q(cmd) : cmd);
  }

  std::string root, error;

 private:
  std::string tool_;
};

}  // namespace ordo_test
