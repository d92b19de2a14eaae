#include "child_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

extern char** environ;

namespace ordo {

std::string child_env_value(const RunAs& run_as, std::string_view name) {
  if (run_as.env.empty()) {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? v : "";
  }
  for (const auto& [k, v] : run_as.env)
    if (k == name) return v;
  return "";
}

RunAs with_env_vars(RunAs run_as, const std::vector<std::pair<std::string, std::string>>& vars) {
  if (run_as.env.empty()) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      run_as.env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  for (const auto& [name, value] : vars) {
    bool replaced = false;
    for (auto& [k, v] : run_as.env)
      if (k == name) {
        v = value;
        replaced = true;
      }
    if (!replaced) run_as.env.emplace_back(name, value);
  }
  return run_as;
}

namespace {
bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}
}  // namespace

std::optional<std::string> find_program(const std::string& name, const RunAs& run_as) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos)
    return is_executable_file(name) ? std::optional<std::string>(name) : std::nullopt;
  const std::string path = child_env_value(run_as, "PATH");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string step_path(const StepContext& ctx, const std::string& path) {
  std::string p = ctx.expand_path(path);
  if (p.empty() || p[0] == '/') return p;
  std::string base = ctx.run_as.cwd.empty() ? "" : ctx.expand_path(ctx.run_as.cwd);
  if (base.empty() || base[0] != '/') {
    char buf[4096];
    const std::string cwd = ::getcwd(buf, sizeof buf) ? buf : ".";
    base = base.empty() ? cwd : cwd + "/" + base;
  }
  return base + "/" + p;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace ordo
