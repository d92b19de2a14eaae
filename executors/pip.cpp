// pip: install or upgrade Python packages in a virtualenv, recording each package's version
// before and after, so a plan can see what changed and what silently stayed put.
#include <cctype>
#include <map>

#include "child_env.h"
#include "expr.h"  // compare_versions
#include "kinds.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"

namespace ordo {
namespace {

// The package name of a requirement specifier ("indico-plugins>=3.3", "Foo_Bar[x]==1"),
// normalised as PEP 503 says: lowercase, runs of '-', '_' and '.' as one '-'. "" if none.
std::string package_name(std::string_view spec) {
  std::string out;
  bool sep = false;
  for (char c : spec) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (sep && !out.empty()) out += '-';
      sep = false;
      out += static_cast<char>(std::tolower(u));
    } else if (c == '-' || c == '_' || c == '.') {
      sep = true;
    } else {
      break;
    }
  }
  return out;
}

std::string shown(const std::string& version) {
  return version.empty() ? "not installed" : version;
}

// The value of "Key: value" lines ("  LATEST:    3.3.12" -> "3.3.12"), "" when absent.
std::string field(std::string_view text, std::string_view key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    const size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    line.remove_prefix(b);
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    line.remove_prefix(key.size() + 1);
    const size_t v = line.find_first_not_of(" \t");
    if (v == std::string_view::npos) return "";
    line.remove_prefix(v);
    const size_t e = line.find_last_not_of(" \t\r");
    return std::string(line.substr(0, e + 1));
  }
  return "";
}

// One run of a pip step.
class PipRun {
 public:
  explicit PipRun(StepContext& ctx)
      : ctx_(ctx), upgrade_(param_bool(ctx.params, "upgrade", true)) {}

  Outcome run() {
    if (auto bad = choose_pip()) return *bad;
    const std::vector<std::string> specs = param_strings(ctx_.params, "packages");
    if (specs.empty()) return Outcome::failed("`packages` is empty: nothing to install");
    for (const std::string& spec : specs) {
      std::string name = package_name(spec);
      if (name.empty()) return Outcome::failed("cannot read a package name in \"" + spec + "\"");
      if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
    }

    std::map<std::string, std::string> before, after;
    if (auto bad = installed_versions(before)) return *bad;
    for (const std::string& n : names_)
      ctx_.output(OutputStream::Info, "before: " + n + " " + shown(before[n]));

    std::vector<std::string> argv = pip_;
    argv.push_back("install");
    if (upgrade_) argv.push_back("--upgrade");
    argv.insert(argv.end(), specs.begin(), specs.end());
    ProcessResult r = run_process(spec(std::move(argv), Echo::All));
    if (!command_ok(r)) {
      Outcome o = command_failure(ctx_, r, started_, "pip install");
      for (const std::string& n : names_) o.outputs.emplace_back("before." + n, Value(before[n]));
      return o;
    }
    if (auto bad = installed_versions(after)) return *bad;

    ValueTable out;
    for (const std::string& n : names_) {
      const bool changed = before[n] != after[n];
      const bool stayed = upgrade_ && !changed;
      out.emplace_back("before." + n, Value(before[n]));
      out.emplace_back("after." + n, Value(after[n]));
      out.emplace_back("changed." + n, Value(changed ? "true" : "false"));
      out.emplace_back("stayed_put." + n, Value(stayed ? "true" : "false"));
      if (changed) {
        ctx_.output(OutputStream::Info, n + ": " + shown(before[n]) + " -> " + shown(after[n]));
      } else if (stayed) {
        auto [latest, note] = why_stayed(n, after[n]);
        ctx_.output(OutputStream::Info, n + ": " + note);
        out.emplace_back("latest." + n, Value(latest));
        out.emplace_back("note." + n, Value(note));
      } else {
        ctx_.output(OutputStream::Info, n + ": unchanged (" + shown(after[n]) + ")");
      }
    }
    return Outcome::succeeded(std::move(out));
  }

 private:
  // pip_ from `pip`, `python` or the step's venv (VIRTUAL_ENV).
  std::optional<Outcome> choose_pip() {
    if (std::string pip = param_string(ctx_.params, "pip"); !pip.empty()) {
      pip_ = {ctx_.expand_path(pip)};
    } else if (std::string py = param_string(ctx_.params, "python"); !py.empty()) {
      pip_ = {ctx_.expand_path(py), "-m", "pip"};
    } else if (std::string venv = child_env_value(ctx_.run_as, "VIRTUAL_ENV"); !venv.empty()) {
      pip_ = {venv + "/bin/pip"};
    } else {
      return Outcome::failed("which pip? give the step a `venv`, or `pip` or `python`");
    }
    run_as_ =
        with_env_vars(ctx_.run_as, {{"PIP_NO_INPUT", "1"}, {"PIP_DISABLE_PIP_VERSION_CHECK", "1"}});
    return std::nullopt;
  }

  ProcessSpec spec(std::vector<std::string> argv, Echo echo) const {
    ProcessSpec s = command_spec(ctx_, std::move(argv), echo);
    s.run_as = run_as_;
    return s;
  }

  // `pip show NAME...` -> versions by normalised name ("" for a package not installed). pip
  // exits 1 when none of them is installed; that is an answer, not a failure.
  std::optional<Outcome> installed_versions(std::map<std::string, std::string>& versions) {
    std::vector<std::string> argv = pip_;
    argv.push_back("show");
    argv.insert(argv.end(), names_.begin(), names_.end());
    ProcessResult r = run_process(spec(std::move(argv), Echo::None));
    const bool none_found =
        r.exit_code == 1 && r.stderr_text.find("not found") != std::string::npos;
    if (!command_ok(r) && !none_found) return command_failure(ctx_, r, started_, "pip show");
    for (const std::string& n : names_) versions[n] = "";
    // Blocks of "Name: X" / "Version: Y" separated by "---".
    std::string_view text = r.stdout_text;
    size_t at = 0;
    while (at <= text.size()) {
      size_t end = text.find("\n---", at);
      if (end == std::string_view::npos) end = text.size();
      std::string_view block = text.substr(at, end - at);
      const std::string name = package_name(field(block, "Name"));
      if (!name.empty() && versions.count(name)) versions[name] = field(block, "Version");
      at = end + 4;
    }
    return std::nullopt;
  }

  // The LATEST version `pip index versions NAME [EXTRA]` offers; "" when it cannot say.
  std::string index_latest(const std::string& name, const char* extra) {
    std::vector<std::string> argv = pip_;
    argv.insert(argv.end(), {"index", "versions", name});
    if (extra) argv.push_back(extra);
    ProcessResult r = run_process(spec(std::move(argv), Echo::None));
    if (!command_ok(r)) {
      last_index_error_ = error_line(r.stderr_text);
      if (last_index_error_.empty()) last_index_error_ = step_outcome(ctx_, r, started_).message;
      return "";
    }
    std::string latest = field(r.stdout_text, "LATEST");
    if (latest.empty()) {  // not installed: the first line is "name (X)"
      const size_t open = r.stdout_text.find('('), close = r.stdout_text.find(')');
      if (open != std::string::npos && close != std::string::npos && close > open)
        latest = r.stdout_text.substr(open + 1, close - open - 1);
    }
    return latest;
  }

  // "3.12" from `pip --version` ("pip 24.0 from ... (python 3.12)"); "" when unknown.
  std::string venv_python() {
    std::vector<std::string> argv = pip_;
    argv.push_back("--version");
    ProcessResult r = run_process(spec(std::move(argv), Echo::None));
    const size_t at = r.stdout_text.rfind("(python ");
    if (!command_ok(r) || at == std::string::npos) return "";
    const size_t end = r.stdout_text.find(')', at);
    return r.stdout_text.substr(at + 8, end == std::string::npos ? end : end - at - 8);
  }

  // Why `pip install --upgrade` left NAME at `version`: {latest for this Python, sentence}.
  std::pair<std::string, std::string> why_stayed(const std::string& name,
                                                 const std::string& version) {
    const std::string fits = index_latest(name, nullptr);
    if (fits.empty())
      return {"", "stayed put at " + shown(version) +
                      "; could not ask the index for newer versions (pip index versions: " +
                      last_index_error_ + ")"};
    const std::string any = index_latest(name, "--ignore-requires-python");
    const std::string py = venv_python();
    const std::string python = py.empty() ? "the venv's Python" : "the venv's Python " + py;
    if (!any.empty() && compare_versions(any, version) > 0 && compare_versions(fits, version) <= 0)
      return {fits, "stayed put at " + version + " although " + any + " exists: " + any +
                        " needs a different Python than " + python +
                        " (pip filters releases by Requires-Python: check its python_requires)"};
    if (compare_versions(fits, version) > 0)
      return {fits, "stayed put at " + version + " although " + fits + " exists and fits " +
                        python +
                        ": another requirement or a constraint holds it back (see pip's "
                        "output above)"};
    return {fits, "already the newest version compatible with " + python + " (" + version +
                      "); pip skips releases whose python_requires excludes that Python"};
  }

  StepContext& ctx_;
  const Clock::time_point started_ = Clock::now();
  const bool upgrade_;
  std::vector<std::string> pip_;    // the pip command: {PIP} or {PYTHON, -m, pip}
  RunAs run_as_;                    // ctx.run_as + PIP_NO_INPUT, PIP_DISABLE_PIP_VERSION_CHECK
  std::vector<std::string> names_;  // normalised package names, in `packages` order
  std::string last_index_error_;
};

class PipExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "pip",
        .summary = "install or upgrade Python packages in a virtualenv, recording versions",
        .doc =
            "Runs `pip install [--upgrade] PACKAGES...` with the pip of the step's `venv` "
            "(`<venv>/bin/pip`), or the program named by `pip`, or `PYTHON -m pip` when "
            "`python` is given; one of `venv`, `pip` and `python` is needed. Before and "
            "after installing it reads the installed version of every package, so the "
            "outputs show what changed and what stayed put: pip succeeds without "
            "upgrading when nothing newer fits (for example a release that needs a newer "
            "Python than the venv's). In output names, NAME is the package name from the "
            "specifier (without version or extras), lowercased, with runs of `-`, `_` and "
            "`.` written as `-` (PEP 503); versions are \"\" for a package that is not "
            "installed. When `upgrade` leaves a package on the same version, the step asks "
            "`pip index versions` (with and without --ignore-requires-python) and says why "
            "in its output and in `note.NAME`: already the newest release for the venv's "
            "Python, or a newer release exists that needs another Python (check its "
            "python_requires), or one that fits is held back by another requirement. pip "
            "runs with PIP_NO_INPUT=1 and PIP_DISABLE_PIP_VERSION_CHECK=1.",
        .params =
            {
                {.name = "packages",
                 .type = ParamType::StringList,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "requirement specifiers, e.g. [\"indico\", \"indico-plugins>=3.3\"]"},
                {.name = "upgrade",
                 .type = ParamType::Bool,
                 .required = false,
                 .default_value = Value(true),
                 .choices = {},
                 .doc = "pass --upgrade: install the newest versions the specifiers allow"},
                {.name = "pip",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the pip program (default: <venv>/bin/pip of the step's `venv`)"},
                {.name = "python",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "run `PYTHON -m pip` with this interpreter instead of a pip program"},
            },
        .outputs =
            {
                {"before.*", "the installed version of package NAME before the step"},
                {"after.*", "the installed version of package NAME after the step"},
                {"changed.*", "true if the version of NAME changed"},
                {"stayed_put.*", "true if `upgrade` was asked and NAME's version did not change"},
                {"latest.*",
                 "for a package that stayed put: the newest version pip offers for the venv's "
                 "Python (`pip index versions`), \"\" when the index could not be asked"},
                {"note.*",
                 "for a package that stayed put: why, in one sentence (already the newest for "
                 "this Python, a newer release needs another Python, or something holds it "
                 "back)"},
            },
        .watcher = false,
        .example =
            "[steps.pip-indico]\nkind = \"pip\"\nuser = \"${indico_user}\"\nvenv = "
            "\"${venv}\"\npackages = [\"indico\"]\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    if (const Value* pkgs = table_find(step.params, "packages"); pkgs && pkgs->is_list()) {
      if (pkgs->as_list().empty())
        diags.error(value_loc_of(*pkgs), "`packages` is empty: list at least one package");
      for (const Value& p : pkgs->as_list())
        if (p.is_string() && p.as_string().empty())
          diags.error(value_loc_of(p), "empty package name in `packages`");
    }
    auto programs = params_present(step.params, {"pip", "python"});
    if (programs.size() > 1)
      diags.error(key_loc_of(programs[1]->second),
                  "give `pip` or `python`, not both (`python` runs `PYTHON -m pip`)");
    if (programs.empty() && (!step.venv || step.venv->empty()))
      diags.error(step.loc, "a pip step needs `venv`, `pip` or `python`: which pip to run");
  }

  Outcome run(StepContext& ctx) const override { return PipRun(ctx).run(); }
};

}  // namespace

std::unique_ptr<Executor> make_pip_executor() {
  return std::make_unique<PipExecutor>();
}

}  // namespace ordo
