#include "step_env.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

extern char** environ;

namespace ordo {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

// su's ENV_SUPATH and ENV_PATH (login.defs defaults on Debian).
constexpr const char* kRootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kUserPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";

const std::string* env_get(const Env& env, std::string_view name) {
  for (const auto& [k, v] : env)
    if (k == name) return &v;
  return nullptr;
}

void env_set(Env& env, const std::string& name, std::string value) {
  for (auto& [k, v] : env)
    if (k == name) {
      v = std::move(value);
      return;
    }
  env.emplace_back(name, std::move(value));
}

void env_unset(Env& env, std::string_view name) {
  std::erase_if(env, [&](const auto& kv) { return kv.first == name; });
}

// A passwd entry copied out of the thread-safe getpw*_r calls.
struct PasswdEntry {
  std::string name, dir, shell;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<PasswdEntry> lookup(const char* name, uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  for (;;) {
    int rc = name ? ::getpwnam_r(name, &pw, buf.data(), buf.size(), &found)
                  : ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || !found) return std::nullopt;
    return PasswdEntry{pw.pw_name, pw.pw_dir, pw.pw_shell ? pw.pw_shell : "", pw.pw_uid, pw.pw_gid};
  }
}

// "~" and "~/x" expand to home; anything else (including "~other") is left alone.
std::string expand_home(const std::string& p, const std::string& home) {
  if (p == "~" || p.starts_with("~/")) return home + p.substr(1);
  return p;
}

// venv: VIRTUAL_ENV, VENV/bin first on PATH, no PYTHONHOME (what bin/activate does).
void apply_venv(Env& env, std::string venv) {
  while (venv.size() > 1 && venv.back() == '/') venv.pop_back();
  const std::string* path = env_get(env, "PATH");
  std::string bin = venv + "/bin";
  env_set(env, "PATH", path && !path->empty() ? bin + ":" + *path : bin);
  env_set(env, "VIRTUAL_ENV", venv);
  env_unset(env, "PYTHONHOME");
}

void apply_entries(Env& env, const std::vector<EnvEntry>& entries) {
  for (const auto& e : entries) {
    const std::string* old = env_get(env, e.name);
    const bool has_old = old && !old->empty();  // an empty PATH part would mean "."
    switch (e.mode) {
      case EnvEntry::Mode::Set:
        env_set(env, e.name, e.value);
        break;
      case EnvEntry::Mode::Prepend:
        env_set(env, e.name, has_old ? e.value + ":" + *old : e.value);
        break;
      case EnvEntry::Mode::Append:
        env_set(env, e.name, has_old ? *old + ":" + e.value : e.value);
        break;
    }
  }
}

std::mutex run_id_mutex;
std::string& run_id_slot() {
  static std::string id;
  return id;
}

}  // namespace

void set_step_run_id(std::string run_id) {
  std::lock_guard lock(run_id_mutex);
  run_id_slot() = std::move(run_id);
}

std::string step_run_id() {
  std::lock_guard lock(run_id_mutex);
  return run_id_slot();
}

Result<RunAs> make_run_as(const StepEnvInput& in) {
  RunAs ra;
  Env env;
  if (!in.user.empty()) {
    auto pw = lookup(in.user.c_str(), 0);
    if (!pw) return make_error("step '" + in.step_id + "': no such user '" + in.user + "'");
    const uid_t me = ::geteuid();
    if (pw->uid != me && me != 0) {
      auto self = lookup(nullptr, me);
      std::string my_name = self ? self->name : "uid " + std::to_string(me);
      return make_error("step '" + in.step_id + "' runs as user '" + in.user +
                        "', which needs root (ordo is running as '" + my_name + "')");
    }
    ra.user = pw->name;
    ra.uid = pw->uid;
    ra.gid = pw->gid;
    ra.home = pw->dir;
    // The login environment, as `su - user` builds it.
    env_set(env, "HOME", pw->dir);
    env_set(env, "USER", pw->name);
    env_set(env, "LOGNAME", pw->name);
    env_set(env, "SHELL", pw->shell.empty() ? "/bin/sh" : pw->shell);
    env_set(env, "PATH", pw->uid == 0 ? kRootPath : kUserPath);
    for (const char* keep : {"TERM", "LANG", "LC_ALL"})
      if (const char* v = std::getenv(keep)) env_set(env, keep, v);
  } else {
    size_t count = 0;
    for (char** e = environ; e && *e; ++e) ++count;
    env.reserve(count + 4 + in.env.size());  // + venv, ORDO_RUN_ID, ORDO_STEP: no regrowth
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    if (const std::string* h = env_get(env, "HOME"); h && !h->empty()) {
      ra.home = *h;
    } else if (auto self = lookup(nullptr, ::geteuid())) {
      ra.home = self->dir;
    }
  }
  if (!in.venv.empty()) apply_venv(env, expand_home(in.venv, ra.home));
  apply_entries(env, in.env);
  // Last, so neither the plan's `env` nor an inherited value (an ordo run inside a step) wins.
  if (std::string run_id = step_run_id(); !run_id.empty())
    env_set(env, "ORDO_RUN_ID", run_id);
  else
    env_unset(env, "ORDO_RUN_ID");
  env_set(env, "ORDO_STEP", in.step_id);
  ra.env = std::move(env);
  ra.cwd = expand_home(in.cwd, ra.home);  // existence is checked by the child (chdir)
  return ra;
}

}  // namespace ordo
