#include "forecast.h"

#include "expr.h"
#include "interpolate.h"

namespace ordo {

std::optional<Value> PlanScope::lookup(const Ref& ref) const {
  if (ref.kind == Ref::Kind::Var) {
    auto it = vars_.find(ref.name);
    if (it != vars_.end()) return it->second;
  } else if (ref.kind == Ref::Kind::Fact) {
    auto it = facts_.find(ref.name);
    if (it != facts_.end()) return Value(it->second);
  }
  return std::nullopt;
}

namespace {

std::string join_ids(const std::vector<StepRef>& refs, const char* last_sep = " or ") {
  std::string out;
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i) out += (i + 1 == refs.size()) ? last_sep : ", ";
    out += refs[i].id;
  }
  return out;
}

// Renders a string for a one-line summary: refs known at plan time are filled in, the others
// stay as ${...} so the reader sees what is decided later.
std::string preview_text(const std::string& text, const Scope& scope) {
  auto tpl = Template::parse(text, {});
  if (!tpl.ok()) return text;
  std::string out;
  for (const auto& seg : tpl->segments()) {
    if (!seg.is_ref) {
      out += seg.literal;
      continue;
    }
    auto v = scope.lookup(seg.ref);
    out += v ? v->to_text() : "${" + seg.ref.str() + "}";
  }
  return out;
}

std::string preview(const Value& v, const Scope& scope) {
  switch (v.kind()) {
    case ValueKind::String:
      return preview_text(v.as_string(), scope);
    case ValueKind::List: {
      std::string out;
      for (const auto& e : v.as_list()) {
        std::string t = preview(e, scope);
        if (t.empty() || t.find_first_of(" \t'\"") != std::string::npos) t = shell_quote(t);
        out += (out.empty() ? "" : " ") + t;
      }
      return out;
    }
    default:
      return v.to_string();
  }
}

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  std::string line = s.substr(0, nl);
  if (nl != std::string::npos && nl + 1 < s.size()) line += " …";
  return line;
}

std::string action_of(const StepDecl& s, const Scope& scope) {
  auto param = [&](const char* name) -> std::string {
    const Value* v = table_find(s.params, name);
    return v ? preview(*v, scope) : "";
  };
  std::string action;
  if (s.kind == "exec") {
    action = param("argv");
  } else if (s.kind == "shell") {
    action = first_line(param("script"));
  } else if (s.kind == "systemd") {
    action = "systemctl " + param("action") + " " + param("unit");
  } else if (s.kind == "noop") {
    action = "";
  } else {
    for (const auto& [k, v] : s.params) {
      if (!action.empty()) action += ", ";
      action += k + " = " + first_line(v.is_table() ? v.to_string() : preview(v, scope));
    }
  }
  if (action.size() > 160) action = action.substr(0, 157) + "...";
  std::string prefix = s.kind;
  if (s.user && !s.user->empty()) {
    auto t = Template::parse(s.user->text, s.user->loc);
    std::string user = s.user->text;
    if (t.ok())
      if (auto u = t->render(scope); u.ok()) user = u.value();
    prefix += " as " + user;
  }
  return action.empty() ? prefix : prefix + ": " + action;
}

// "(plugins = \"none\", facts.os_family = \"debian\")": the plan-time values an expression used.
std::string values_used(const Expr& e, const Scope& scope) {
  std::string out;
  std::vector<std::string> seen;
  for (const Ref& r : e.refs()) {
    std::string name = r.kind == Ref::Kind::Var ? r.name : r.str();
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    auto v = scope.lookup(r);
    out += (out.empty() ? "" : ", ") + name + " = " + (v ? v->to_string() : "?");
  }
  return out;
}

// What a `when` came out as, for "condition true (...)": the values of the names it reads, or,
// when it reads none (only literals and functions such as exists()), the condition itself
// with its ${...} resolved.
std::string condition_shown(const Expr& e, const StepDecl& s, const Scope& scope) {
  std::string used = values_used(e, scope);
  if (!used.empty()) return used;
  auto t = Template::parse(s.when->text, s.when->loc);
  if (t.ok())
    if (auto text = t->render(scope); text.ok()) return text.value();
  return s.when->text;
}

}  // namespace

std::vector<StepForecast> forecast(const Plan& plan, const Graph& graph, const VarValues& vars,
                                   const Facts& facts, const Registry& registry) {
  (void)graph;
  (void)registry;
  PlanScope scope(vars, facts);
  std::vector<StepForecast> out(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const StepDecl& s = plan.steps[i];
    StepForecast& f = out[i];
    f.action = action_of(s, scope);
    if (s.is_watcher()) {
      f.kind = StepForecast::Kind::Watcher;
      f.verdict = "watches " + join_ids(s.watches, " and ") + " while they run";
    } else if (s.is_triggered()) {
      f.kind = StepForecast::Kind::Triggered;
      f.verdict = "runs only if " + join_ids(s.triggered_by) + " fires";
    } else if (!s.on_failure.empty()) {
      f.kind = StepForecast::Kind::OnFailure;
      f.verdict = "runs only if " + join_ids(s.on_failure) + " fails";
    } else if (s.always) {
      f.kind = StepForecast::Kind::Always;
      f.verdict = "always runs (cleanup), whatever happens before it";
    } else {
      f.kind = StepForecast::Kind::WillRun;
      f.verdict = "will run";
    }
    if (!s.when) continue;
    auto expr = Expr::parse(s.when->text, s.when->loc);
    if (!expr.ok()) continue;  // validate reported it
    std::vector<std::string> step_refs;
    for (const Ref& r : expr->refs())
      if (r.kind != Ref::Kind::Var && r.kind != Ref::Kind::Fact) step_refs.push_back(r.str());
    if (!step_refs.empty()) {
      std::string deps;
      for (const auto& d : step_refs)
        if (deps.find(d) == std::string::npos) deps += (deps.empty() ? "" : ", ") + d;
      if (f.kind == StepForecast::Kind::WillRun) {
        f.kind = StepForecast::Kind::RunTime;
        f.verdict = "decided at run time: depends on " + deps;
      } else {
        f.verdict += "; and then decided at run time: depends on " + deps;
      }
      continue;
    }
    auto value = expr->eval_bool(scope);
    if (!value.ok()) {
      f.verdict += " (when: " + value.error().message + ")";
    } else if (!value.value()) {
      f.kind = StepForecast::Kind::Skipped;
      f.verdict = "skipped: condition false (" + condition_shown(*expr, s, scope) + ")";
    } else if (f.kind == StepForecast::Kind::WillRun) {
      f.verdict = "will run: condition true (" + condition_shown(*expr, s, scope) + ")";
    }
  }
  return out;
}

}  // namespace ordo
