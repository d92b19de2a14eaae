// pip: install or upgrade Python packages in a virtualenv, recording each package's version
// before and after, so a plan can see what changed and what silently stayed put.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

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
            "installed.",
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
    if (programs.empty() && step.venv.empty())
      diags.error(step.loc, "a pip step needs `venv`, `pip` or `python`: which pip to run");
  }

  Outcome run(StepContext&) const override { return not_implemented_yet("pip"); }
};

}  // namespace

std::unique_ptr<Executor> make_pip_executor() {
  return std::make_unique<PipExecutor>();
}

}  // namespace ordo
