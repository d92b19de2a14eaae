// The plan loader's [vars] tables (short `name = default` and long `[vars.name]` forms) and
// `--vars FILE.toml` override files. Part of the loader (see plan_loader_internal.h).
#include "plan_loader.h"

#include <algorithm>
#include <string>
#include <vector>

#include "plan_loader_internal.h"

namespace ordo {
namespace loader {
namespace {

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace

void Loader::load_vars(const toml::table& t, Source& src) {
  for (auto [k, v] : ordered(t)) {
    VarDecl var;
    var.name = std::string(k->str());
    var.loc = src.key_loc(*k);
    if (!valid_var_name(var.name))
      error(var.loc, "variable name '" + var.name + "' must match [a-z_][a-z0-9_]*");
    else if (var.name == "steps" || var.name == "facts" || var.name == "vars")
      error(var.loc, "variable name '" + var.name + "' is reserved");
    if (const auto* long_form = v->as_table())
      load_var_long(var, *long_form, src);
    else
      load_var_short(var, *v, src);
    auto [it, fresh] = var_first_.emplace(var.name, var.loc);
    if (!fresh) {
      error(var.loc, "variable '" + var.name + "' is already defined at " + it->second.str());
      continue;
    }
    plan_.vars.push_back(std::move(var));
  }
}

// The type a value implies in the short form, or nullopt (reported) for floats and dates.
std::optional<VarType> Loader::infer_type(const VarDecl& var, const toml::node& v, Source& src) {
  switch (v.type()) {
    case toml::node_type::string:
      return VarType::String;
    case toml::node_type::boolean:
      return VarType::Bool;
    case toml::node_type::integer:
      return VarType::Int;
    case toml::node_type::array:
      return VarType::List;
    default:
      error(src.node_loc(v), "variable '" + var.name + "' cannot be " + a_type(v) +
                                 " (use a string, boolean, integer or list)");
      return std::nullopt;
  }
}

// Checks that the elements of a list variable are scalars.
void Loader::check_list_elements(const VarDecl& var, const toml::node& v, Source& src) {
  for (const auto& e : *v.as_array()) {
    if (e.is_array() || e.is_table())
      error(src.node_loc(e), "elements of list variable '" + var.name +
                                 "' must be strings, integers or booleans, not " + a_type(e));
  }
}

void Loader::load_var_short(VarDecl& var, const toml::node& v, Source& src) {
  auto type = infer_type(var, v, src);
  if (!type) return;
  var.type = *type;
  if (v.is_array()) check_list_elements(var, v, src);
  var.default_value = to_value(v, src);
}

void Loader::load_var_long(VarDecl& var, const toml::table& t, Source& src) {
  static const std::vector<std::string> keys = {"default", "type", "description", "secret",
                                                "choices"};
  const toml::node* def = nullptr;
  bool typed = false;
  for (auto [k, v] : ordered(t)) {
    std::string key(k->str());
    if (key == "default") {
      def = v;
    } else if (key == "type") {
      auto s = string_of(*v, key, src, diags_);
      if (!s) continue;
      if (auto type = parse_var_type(*s)) {
        var.type = *type;
        typed = true;
      } else {
        error(src.value_loc(*v), "unknown variable type '" + *s +
                                     "': expected string, bool, int, path, list or duration");
      }
    } else if (key == "description") {
      if (auto s = string_of(*v, key, src, diags_)) var.description = *s;
    } else if (key == "secret") {
      if (auto b = bool_of(*v, key, src, diags_)) var.secret = *b;
    } else if (key == "choices") {
      var.choices = strings_of(*v, key, src, diags_);
    } else {
      error(src.key_loc(*k),
            "unknown key '" + key + "' in [vars." + var.name + "]" + did_you_mean(key, keys));
    }
  }
  if (!def) return;  // no default: it must be set
  if (!typed) {
    if (auto type = infer_type(var, *def, src)) var.type = *type;
  } else {
    check_default_type(var, *def, src);
  }
  if (def->is_array()) check_list_elements(var, *def, src);
  var.default_value = to_value(*def, src);
  check_default_choice(var);
}

void Loader::check_default_type(const VarDecl& var, const toml::node& def, Source& src) {
  bool ok = false;
  switch (var.type) {
    case VarType::String:
    case VarType::Path:
      ok = def.is_string();
      break;
    case VarType::Bool:
      ok = def.is_boolean();
      break;
    case VarType::Int:
      ok = def.is_integer();
      break;
    case VarType::List:
      ok = def.is_array();
      break;
    case VarType::Duration:
      if (!def.is_string()) break;
      if (auto d = parse_duration(def.as_string()->get()); !d)
        error(src.value_loc(def), d.error().message);
      return;
  }
  if (ok) return;
  static const char* const articles[] = {"a string", "a bool", "an int",
                                         "a path",   "a list", "a duration"};
  error(src.node_loc(def), "default of variable '" + var.name + "' must be " +
                               articles[static_cast<int>(var.type)] + ", not " + a_type(def));
}

void Loader::check_default_choice(const VarDecl& var) {
  if (var.choices.empty()) return;
  auto allowed = [&](const Value& v) {
    return std::find(var.choices.begin(), var.choices.end(), v.to_text()) != var.choices.end();
  };
  const Value& def = var.default_value;
  std::vector<const Value*> items;
  if (def.is_list())
    for (const auto& e : def.as_list()) items.push_back(&e);
  else
    items.push_back(&def);
  for (const Value* v : items)
    if (!allowed(*v))
      error(v->loc, "default '" + v->to_text() + "' of variable '" + var.name +
                        "' is not one of its choices: " + quoted_list(var.choices));
}

}  // namespace loader

std::vector<VarOverride> load_vars_file(const std::string& path, Diagnostics& diags) {
  std::vector<VarOverride> out;
  auto text = loader::read_file(path);
  if (!text) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read vars file: " + text.error().message);
    return out;
  }
  toml::table root;
  try {
    root = toml::parse(std::string_view(*text));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    diags.error(SourceLoc{path, static_cast<int>(b.line), static_cast<int>(b.column)},
                std::string(e.description()));
    return out;
  }
  loader::Source src(path, *text);
  for (auto [k, v] : loader::ordered(root)) {
    VarOverride o;
    o.name = std::string(k->str());
    o.loc = src.key_loc(*k);
    switch (v->type()) {
      case toml::node_type::string:
      case toml::node_type::integer:
      case toml::node_type::boolean:
      case toml::node_type::array:
        break;
      default:
        diags.error(src.node_loc(*v), "value of '" + o.name +
                                          "' must be a string, boolean, integer or list, not " +
                                          loader::a_type(*v));
        continue;
    }
    o.value = loader::to_value(*v, src);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ordo
