// validate(): every check that needs the whole plan and the registry. See validate.h.
#include "validate.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "expr.h"
#include "interpolate.h"
#include "step_index.h"

namespace ordo {
namespace {

// Resolves only variables (for checking parameter values that use ${var}).
class VarScope final : public Scope {
 public:
  explicit VarScope(const VarValues& vars) : vars_(vars) {}
  std::optional<Value> lookup(const Ref& ref) const override {
    if (ref.kind != Ref::Kind::Var) return std::nullopt;
    auto it = vars_.find(ref.name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }

 private:
  const VarValues& vars_;
};

ExprType var_expr_type(VarType t) {
  switch (t) {
    case VarType::Bool:
      return ExprType::Bool;
    case VarType::Int:
      return ExprType::Int;
    case VarType::List:
      return ExprType::List;
    default:
      return ExprType::String;
  }
}

// A reference to another step's runtime state (status, fired, outputs) from step `user`.
struct StepUse {
  int user;
  int used;
  Ref ref;
};

class Validator {
 public:
  Validator(const Plan& plan, const Registry& registry, const VarValues& vars, Diagnostics& diags)
      : plan_(plan), registry_(registry), vars_(vars), diags_(diags), index_(plan) {
    for (const auto& v : plan.vars) var_names_.push_back(v.name);
  }

  std::optional<Validated> run() {
    for (size_t i = 0; i < plan_.steps.size(); ++i) check_step(static_cast<int>(i));
    std::optional<Graph> graph = Graph::build(plan_, diags_);
    if (graph) check_upstream(*graph);
    if (diags_.has_errors() || !graph) return std::nullopt;
    return Validated{std::move(*graph)};
  }

 private:
  const Executor* executor_of(const StepDecl& s) const { return registry_.find(s.kind); }

  void check_step(int i) {
    const StepDecl& s = plan_.steps[i];
    const Executor* ex = executor_of(s);
    if (!ex && !s.kind.empty()) {  // a missing kind is the loader's error
      diags_.error(s.kind_loc.known() ? s.kind_loc : s.loc,
                   "unknown kind '" + s.kind + "' in step '" + s.id + "'" +
                       did_you_mean(s.kind, registry_.kinds()) +
                       " (run `ordo kinds` for the list)");
    } else if (ex) {
      check_executor_params(s, *ex);
    }
    check_refs(s, s.requires_, "requires");
    check_refs(s, s.after, "after");
    check_refs(s, s.on_failure, "on_failure");
    check_refs(s, s.watches, "watches");
    check_refs(s, s.triggered_by, "triggered_by");
    for (const auto& r : s.triggered_by) {
      int at = index_.find(r.id);
      if (at < 0) continue;
      const StepDecl& w = plan_.steps[at];
      if (!w.is_watcher())
        diags_.error(r.loc, "step '" + s.id + "' is triggered_by '" + r.id +
                                "', which is not a watcher (only a step with `watches`, such as "
                                "a lock-watchdog, can fire)");
    }
    if (ex && s.is_watcher() && !ex->spec().watcher)
      diags_.error(s.watches.front().loc,
                   "step '" + s.id + "' has `watches`, but kind '" + s.kind +
                       "' is not a watcher kind (watchers: " + watcher_kinds() + ")");
    for (const auto& r : s.watches)
      if (r.id == s.id) diags_.error(r.loc, "step '" + s.id + "' cannot watch itself");

    // Interpolated strings: params, user, venv, cwd, env values.
    for (const auto& [key, v] : s.params) check_value_refs(i, v);
    check_text_refs(i, s.user.value_or_empty());
    check_text_refs(i, s.venv.value_or_empty());
    check_text_refs(i, s.cwd.value_or_empty());
    for (const auto& e : s.env) check_text_refs(i, LocatedText{e.value, e.loc});

    if (s.when) check_when(i, *s.when);
  }

  std::string watcher_kinds() const {
    std::string out;
    for (const auto& e : registry_.all())
      if (e->spec().watcher) out += (out.empty() ? "" : ", ") + e->spec().kind;
    return out.empty() ? "none" : out;
  }

  // True when a string in v contains '$' (a ${...} reference, or a malformed one).
  static bool has_dollar(const Value& v) {
    switch (v.kind()) {
      case ValueKind::String:
        return v.as_string().find('$') != std::string::npos;
      case ValueKind::List:
        for (const auto& e : v.as_list())
          if (has_dollar(e)) return true;
        return false;
      case ValueKind::Table:
        for (const auto& [k, e] : v.as_table())
          if (has_dollar(e)) return true;
        return false;
      default:
        return false;
    }
  }

  void check_executor_params(const StepDecl& s, const Executor& ex) {
    // Check the parameters with ${vars} already substituted, so that e.g. a duration taken from
    // a variable is checked for what it will be at run time. Without a '$' there is nothing to
    // substitute: the step is checked as it is, without a copy.
    bool any = false;
    for (const auto& [key, v] : s.params) any = any || has_dollar(v);
    if (!any) {
      check_params(ex.spec(), s, diags_);
      ex.check(s, diags_);
      return;
    }
    StepDecl copy = s;
    VarScope scope(vars_);
    for (auto& [key, v] : copy.params) {
      auto r = interpolate_value(v, scope, /*partial=*/true);
      if (r.ok()) {
        Value nv = std::move(r).value();
        nv.loc = v.loc;
        nv.key_loc = v.key_loc;
        v = std::move(nv);
      }
    }
    check_params(ex.spec(), copy, diags_);
    ex.check(copy, diags_);
  }

  void check_refs(const StepDecl& s, const std::vector<StepRef>& refs, const char* key) {
    for (const auto& r : refs) {
      if (index_.find(r.id) >= 0) continue;
      diags_.error(r.loc, "unknown step '" + r.id + "' in " + key + " of step '" + s.id + "'" +
                              did_you_mean(r.id, ids()));
    }
  }

  void check_value_refs(int i, const Value& v) {
    switch (v.kind()) {
      case ValueKind::String:
        check_text_refs(i, LocatedText{v.as_string(), v.loc});
        break;
      case ValueKind::List:
        for (const auto& e : v.as_list()) check_value_refs(i, e);
        break;
      case ValueKind::Table:
        for (const auto& [k, e] : v.as_table()) check_value_refs(i, e);
        break;
      default:
        break;
    }
  }

  void check_text_refs(int i, const LocatedText& t) {
    if (t.text.find('$') == std::string::npos) return;
    auto tpl = Template::parse(t.text, t.loc);
    if (!tpl.ok()) {
      diags_.add(tpl.take_error());
      return;
    }
    for (const Ref& r : tpl->refs()) {
      auto type = check_ref(i, r, /*in_when=*/false);
      if (!type.ok()) diags_.add(type.take_error());
    }
  }

  // Returns the expression type of a ref, or an error for an unknown name.
  Result<ExprType> check_ref(int i, const Ref& r, bool in_when) {
    const StepDecl& s = plan_.steps[i];
    switch (r.kind) {
      case Ref::Kind::Var: {
        if (const VarDecl* v = plan_.find_var(r.name)) return var_expr_type(v->type);
        std::vector<std::string> cands = var_names_;
        std::string hint = did_you_mean(r.name, cands);
        std::string what = in_when ? "unknown name '" + r.name + "' in `when`"
                                   : "undefined variable ${" + r.name + "}";
        if (hint.empty() && !in_when) hint = "; declare it in [vars]";
        if (hint.empty() && in_when)
          hint = " (names are variables, steps.ID.status|fired|outputs.NAME, facts.NAME)";
        return make_error(what + hint, r.loc);
      }
      case Ref::Kind::Fact: {
        const auto& facts = known_facts();
        if (std::find(facts.begin(), facts.end(), r.name) != facts.end()) return ExprType::String;
        return make_error("unknown fact 'facts." + r.name + "'" + did_you_mean(r.name, facts) +
                              " (facts: os_id, os_family, os_version, hostname, user)",
                          r.loc);
      }
      default:
        break;
    }
    int at = index_.find(r.step);
    if (at < 0)
      return make_error("unknown step '" + r.step + "' in " + r.str() + did_you_mean(r.step, ids()),
                        r.loc);
    const StepDecl& used = plan_.steps[at];
    if (at == i)
      return make_error("step '" + s.id + "' refers to its own " + r.str() +
                            " (only earlier steps' results are known)",
                        r.loc);
    uses_.push_back({i, at, r});
    switch (r.kind) {
      case Ref::Kind::StepStatus:
        return ExprType::String;
      case Ref::Kind::StepFired:
        if (!used.is_watcher())
          return make_error(
              r.str() + ": step '" + used.id + "' is not a watcher, so it never fires", r.loc);
        return ExprType::Int;
      case Ref::Kind::StepOutput: {
        bool declared = false;
        std::vector<std::string> names;
        for (const auto& o : used.outputs) {
          names.push_back(o.name);
          if (o.name == r.name) declared = true;
        }
        const Executor* ex = executor_of(used);
        if (ex) {
          if (ex->spec().has_output(r.name)) declared = true;
          for (const auto& o : ex->spec().outputs) names.push_back(o.name);
        }
        if (!declared && ex)
          return make_error("step '" + used.id + "' has no output '" + r.name + "'" +
                                did_you_mean(r.name, names) + " (kind '" + used.kind +
                                "' outputs: " + join(names) + ")",
                            r.loc);
        return ExprType::Any;
      }
      default:
        return ExprType::Any;
    }
  }

  // Every step id, for "did you mean" (made on the first unknown id only).
  const std::vector<std::string>& ids() {
    if (ids_.empty()) {
      ids_.reserve(plan_.steps.size());
      for (const auto& s : plan_.steps) ids_.push_back(s.id);
    }
    return ids_;
  }

  static std::string join(const std::vector<std::string>& v) {
    if (v.empty()) return "none";
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  void check_when(int i, const LocatedText& when) {
    auto expr = Expr::parse(when.text, when.loc);
    if (!expr.ok()) {
      diags_.add(expr.take_error());
      return;
    }
    expr->check([&](const Ref& r) { return check_ref(i, r, /*in_when=*/true); }, diags_);
  }

  // A step may only use the results of steps that settle before it starts: they must be
  // upstream of it in the graph (requires, after, ... transitively).
  void check_upstream(const Graph& g) {
    std::unordered_map<int, std::vector<char>> ancestors;  // computed lazily per user step
    for (const auto& u : uses_) {
      auto [it, fresh] = ancestors.try_emplace(u.user);
      if (fresh) it->second = upstream_of(g, u.user);
      if (it->second[u.used]) continue;
      const std::string& user_id = plan_.steps[u.user].id;
      const std::string& used_id = plan_.steps[u.used].id;
      diags_.error(u.ref.loc, "step '" + user_id + "' uses " + u.ref.str() +
                                  ", but does not run after '" + used_id + "' (add \"" + used_id +
                                  "\" to its `requires` or `after`)");
    }
  }

  static std::vector<char> upstream_of(const Graph& g, int v) {
    std::vector<char> seen(g.size(), 0);
    std::vector<int> stack{v};
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      for (int e : g.in_edges(x)) {
        int from = g.edges()[e].from;
        if (!seen[from]) {
          seen[from] = 1;
          stack.push_back(from);
        }
      }
    }
    return seen;
  }

  const Plan& plan_;
  const Registry& registry_;
  const VarValues& vars_;
  Diagnostics& diags_;
  StepIndex index_;
  std::vector<std::string> ids_;  // see ids()
  std::vector<std::string> var_names_;
  std::vector<StepUse> uses_;
};

}  // namespace

std::optional<Validated> validate(const Plan& plan, const Registry& registry, const VarValues& vars,
                                  Diagnostics& diags) {
  return Validator(plan, registry, vars, diags).run();
}

}  // namespace ordo
