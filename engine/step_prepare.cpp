#include "step_prepare.h"

#include <algorithm>
#include <regex>

#include "interpolate.h"
#include "spec.h"
#include "step_env.h"

namespace ordo {
namespace {

Result<std::string> render_text(const LocatedText& t, const Scope& scope) {
  if (t.text.find('$') == std::string::npos) return t.text;
  TRY_ASSIGN(Template tpl, Template::parse(t.text, t.loc));
  return tpl.render(scope);
}

void add_refs_of_string(const std::string& s, const SourceLoc& loc, std::vector<std::string>& ids) {
  if (s.find("${") == std::string::npos) return;
  auto t = Template::parse(s, loc);
  if (!t.ok()) return;
  for (const Ref& r : t->refs())
    if (r.kind != Ref::Kind::Var && r.kind != Ref::Kind::Fact) ids.push_back(r.step);
}

void add_refs_of_value(const Value& v, std::vector<std::string>& ids) {
  switch (v.kind()) {
    case ValueKind::String:
      add_refs_of_string(v.as_string(), v.loc, ids);
      break;
    case ValueKind::List:
      for (const Value& x : v.as_list()) add_refs_of_value(x, ids);
      break;
    case ValueKind::Table:
      for (const auto& [k, x] : v.as_table()) add_refs_of_value(x, ids);
      break;
    default:
      break;
  }
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

void table_put(ValueTable& table, const std::string& key, Value value) {
  for (auto& [k, v] : table)
    if (k == key) {
      v = std::move(value);
      return;
    }
  table.emplace_back(key, std::move(value));
}

Result<PreparedStep> prepare_step(const StepDecl& step, const Executor& executor,
                                  const Scope& scope) {
  const ExecutorSpec& spec = executor.spec();
  PreparedStep out;
  ValueTable params;
  for (const auto& [name, value] : step.params) {
    const ParamSpec* ps = spec.find(name);
    if (ps && ps->shell_quoted && value.is_string()) {
      auto tpl = Template::parse(value.as_string(), value.loc);
      if (!tpl.ok()) return make_error("parameter `" + name + "`: " + tpl.error().str());
      auto text = tpl->render(scope, Template::Quote::Shell);
      if (!text.ok()) return make_error("parameter `" + name + "`: " + text.error().str());
      Value v = value;
      v.data = std::move(text).value();
      params.emplace_back(name, std::move(v));
    } else {
      auto v = interpolate_value(value, scope);
      if (!v.ok()) return make_error("parameter `" + name + "`: " + v.error().str());
      params.emplace_back(name, std::move(v).value());
    }
  }
  out.params = resolve_params(spec, params);
  if (spec.watcher)
    if (const Value* m = table_find(out.params, "max_fires"); m && m->is_int())
      out.max_fires = static_cast<int>(std::max<int64_t>(1, m->as_int()));

  StepEnvInput env;
  env.step_id = step.id;
  auto user = render_text(step.user.value_or_empty(), scope);
  if (!user.ok()) return make_error("`user`: " + user.error().str());
  env.user = std::move(user).value();
  auto venv = render_text(step.venv.value_or_empty(), scope);
  if (!venv.ok()) return make_error("`venv`: " + venv.error().str());
  env.venv = std::move(venv).value();
  auto cwd = render_text(step.cwd.value_or_empty(), scope);
  if (!cwd.ok()) return make_error("`cwd`: " + cwd.error().str());
  env.cwd = std::move(cwd).value();
  for (const EnvEntry& e : step.env) {
    EnvEntry r = e;
    auto val = render_text(LocatedText{e.value, e.loc}, scope);
    if (!val.ok()) return make_error("`env." + e.name + "`: " + val.error().str());
    r.value = std::move(val).value();
    env.env.push_back(std::move(r));
  }
  auto run_as = make_run_as(env);
  if (!run_as.ok()) return run_as.take_error();
  out.run_as = std::move(run_as).value();
  return out;
}

std::vector<std::string> referenced_steps(const StepDecl& step, const std::vector<Ref>& when_refs) {
  std::vector<std::string> ids;
  for (const auto& [name, value] : step.params) add_refs_of_value(value, ids);
  for (const Boxed<LocatedText>* t : {&step.user, &step.venv, &step.cwd})
    if (*t) add_refs_of_string((*t)->text, (*t)->loc, ids);
  for (const EnvEntry& e : step.env) add_refs_of_string(e.value, e.loc, ids);
  for (const Ref& r : when_refs)
    if (r.kind != Ref::Kind::Var && r.kind != Ref::Kind::Fact) ids.push_back(r.step);
  std::vector<std::string> unique;
  for (auto& id : ids)
    if (std::find(unique.begin(), unique.end(), id) == unique.end()) unique.push_back(id);
  return unique;
}

struct OutputDecls::Impl {
  struct Compiled {
    OutputDecl decl;
    std::optional<std::regex> re;
    std::string error;
  };
  std::vector<Compiled> decls;
};

OutputDecls::OutputDecls(const std::vector<OutputDecl>& decls) : impl_(std::make_unique<Impl>()) {
  for (const OutputDecl& d : decls) {
    Impl::Compiled c{d, std::nullopt, ""};
    if (!d.regex.empty()) {
      try {
        c.re.emplace(d.regex, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        c.error = std::string("invalid regex: ") + e.what();
      }
    }
    impl_->decls.push_back(std::move(c));
  }
}

OutputDecls::~OutputDecls() = default;
OutputDecls::OutputDecls(OutputDecls&&) noexcept = default;
OutputDecls& OutputDecls::operator=(OutputDecls&&) noexcept = default;

bool OutputDecls::wants(OutputStream s) const {
  for (const auto& c : impl_->decls)
    if ((c.decl.from == "stderr") == (s == OutputStream::Stderr) && s != OutputStream::Info)
      return true;
  return false;
}

std::vector<std::string> OutputDecls::extract(const std::string& out, const std::string& err,
                                              ValueTable& outputs) const {
  std::vector<std::string> warnings;
  for (const auto& c : impl_->decls) {
    const std::string& text = c.decl.from == "stderr" ? err : out;
    if (!c.error.empty()) {
      warnings.push_back("output `" + c.decl.name + "`: " + c.error);
      continue;
    }
    if (!c.re) {
      table_put(outputs, c.decl.name, Value(trim(text), c.decl.loc));
      continue;
    }
    std::smatch m;
    if (!std::regex_search(text, m, *c.re)) {
      warnings.push_back("output `" + c.decl.name + "`: /" + c.decl.regex + "/ did not match its " +
                         c.decl.from);
      continue;
    }
    std::string value = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
    table_put(outputs, c.decl.name, Value(std::move(value), c.decl.loc));
  }
  return warnings;
}

}  // namespace ordo
