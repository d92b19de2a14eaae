// Variable resolution: defaults, then --vars/--set overrides converted to each var's type.
// Values are literal: `${...}` inside a variable's value is not expanded.
#include "vars.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <unordered_map>

namespace ordo {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "an int", "a bool", ... for messages.
std::string a_var_type(VarType t) {
  std::string name = var_type_name(t);
  return (t == VarType::Int ? "an " : "a ") + name;
}

std::string a_kind(ValueKind k) {
  std::string name = value_kind_name(k);
  return (k == ValueKind::Int ? "an " : "a ") + name;
}

// Converts override text (from --set, or a string in a --vars file) to the var's type.
Result<Value> from_text(const VarDecl& var, const std::string& text, const SourceLoc& loc) {
  const std::string head = "variable '" + var.name + "' expects " + a_var_type(var.type);
  switch (var.type) {
    case VarType::String:
    case VarType::Path:
      return Value(text, loc);
    case VarType::Bool: {
      std::string t = lower(trim(text));
      if (t == "true" || t == "yes" || t == "1") return Value(true, loc);
      if (t == "false" || t == "no" || t == "0") return Value(false, loc);
      return make_error(head + " (true/false/yes/no/1/0), got '" + text + "'", loc);
    }
    case VarType::Int: {
      std::string_view t = trim(text);
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      int64_t n = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size())
        return make_error(head + ", got '" + text + "'", loc);
      return Value(n, loc);
    }
    case VarType::Duration: {
      auto d = parse_duration(trim(text));
      if (!d) return make_error(head + ": " + d.error().message, loc);
      return Value(std::string(trim(text)), loc);
    }
    case VarType::List: {
      ValueList items;
      if (trim(text).empty()) return Value(std::move(items), loc);
      std::string_view rest = text;
      while (true) {
        size_t comma = rest.find(',');
        items.emplace_back(std::string(trim(rest.substr(0, comma))), loc);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      return Value(std::move(items), loc);
    }
  }
  return make_error("unknown variable type", loc);
}

// A typed value from a --vars file: strings convert like --set text, others must match.
Result<Value> from_value(const VarDecl& var, const Value& v) {
  if (v.is_string()) return from_text(var, v.as_string(), v.loc);
  bool ok = (var.type == VarType::Bool && v.is_bool()) ||
            (var.type == VarType::Int && v.is_int()) || (var.type == VarType::List && v.is_list());
  if (!ok)
    return make_error(
        "variable '" + var.name + "' expects " + a_var_type(var.type) + ", got " + a_kind(v.kind()),
        v.loc);
  return v;
}

// Every value (each element of a list) must be one of var.choices.
Status check_choices(const VarDecl& var, const Value& v) {
  if (var.choices.empty()) return Ok{};
  std::vector<const Value*> items;
  if (v.is_list())
    for (const auto& e : v.as_list()) items.push_back(&e);
  else
    items.push_back(&v);
  for (const Value* item : items) {
    std::string text = item->to_text();
    if (std::find(var.choices.begin(), var.choices.end(), text) != var.choices.end()) continue;
    std::string list;
    for (size_t i = 0; i < var.choices.size(); ++i) list += (i ? ", " : "") + var.choices[i];
    return make_error("variable '" + var.name + "' must be one of " + list + "; got '" + text + "'",
                      item->loc);
  }
  return Ok{};
}

}  // namespace

Result<VarOverride> parse_set_arg(std::string_view arg) {
  SourceLoc loc{"--set", 0, 0};
  size_t eq = arg.find('=');
  if (eq == std::string_view::npos)
    return make_error("expected name=value, got '" + std::string(arg) + "'", loc);
  std::string_view name = trim(arg.substr(0, eq));
  if (name.empty()) return make_error("missing variable name in '" + std::string(arg) + "'", loc);
  VarOverride o;
  o.name = std::string(name);
  o.text = std::string(arg.substr(eq + 1));
  o.loc = loc;
  return o;
}

VarValues resolve_vars(const Plan& plan, const std::vector<VarOverride>& overrides,
                       Diagnostics& diags) {
  VarValues values;
  std::unordered_map<std::string_view, const VarDecl*> by_name;
  std::vector<std::string> names;
  for (const auto& var : plan.vars) {
    by_name.emplace(var.name, &var);
    names.push_back(var.name);
    if (!var.default_value.is_null()) values[var.name] = var.default_value;
  }

  std::unordered_map<std::string_view, bool> attempted;  // set, even if the value was bad
  for (const auto& o : overrides) {
    auto it = by_name.find(o.name);
    if (it == by_name.end()) {
      std::string where = o.value ? "" : " in --set";
      diags.error(o.loc, "unknown variable '" + o.name + "'" + where + did_you_mean(o.name, names));
      continue;
    }
    const VarDecl& var = *it->second;
    attempted[var.name] = true;
    Result<Value> v = o.value ? from_value(var, *o.value) : from_text(var, o.text, o.loc);
    if (!v) {
      diags.add(v.take_error());
      continue;
    }
    if (auto st = check_choices(var, *v); !st) {
      diags.add(st.take_error());
      continue;
    }
    values[var.name] = std::move(*v);
  }

  for (const auto& var : plan.vars) {
    if (values.count(var.name) || attempted.count(var.name)) continue;
    diags.error(var.loc, "variable '" + var.name + "' has no default; set it with --set " +
                             var.name + "=VALUE");
  }
  return values;
}

}  // namespace ordo
