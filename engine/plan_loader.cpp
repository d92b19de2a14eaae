// The plan loader: toml++ tables -> Plan. The only file that includes toml++.
//
// toml++ tables iterate in key order, not declaration order, so every table is walked through
// ordered(), which sorts members by the key's source position. Strings are located at their
// first content character (see content_loc), so `${...}` errors can add an offset.
#include "plan_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace ordo {
namespace {

namespace fs = std::filesystem;
using Member = std::pair<const toml::key*, const toml::node*>;

// Reads a whole file; on failure returns the strerror text as the error message.
Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(std::strerror(EISDIR));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(std::strerror(errno));
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) return make_error(std::strerror(err));
  return out;
}

// Members of a table in declaration (source) order.
std::vector<Member> ordered(const toml::table& t) {
  std::vector<Member> out;
  out.reserve(t.size());
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::sort(out.begin(), out.end(), [](const Member& a, const Member& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
  });
  return out;
}

// "a string", "an integer", ... for "must be X, not Y" messages.
std::string a_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "a list";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

bool valid_step_id(std::string_view id) {
  if (id.empty()) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

bool valid_plan_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

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

// One loaded file: its path (as resolved), its text, and position helpers.
class Source {
 public:
  Source(std::string path, std::string_view text) : path_(std::move(path)), text_(text) {}
  const std::string& path() const { return path_; }

  SourceLoc at(const toml::source_position& p) const {
    return SourceLoc{path_, static_cast<int>(p.line), static_cast<int>(p.column)};
  }
  SourceLoc key_loc(const toml::key& k) const { return at(k.source().begin); }
  // Where a value's token starts (the opening quote of a string): for "must be X" errors.
  SourceLoc node_loc(const toml::node& n) const { return at(n.source().begin); }
  // Where a value starts; for strings the first character inside the quotes.
  SourceLoc value_loc(const toml::node& n) {
    SourceLoc loc = at(n.source().begin);
    return n.is_string() ? content_loc(loc) : loc;
  }

 private:
  // Skips the opening quote(s) of the string at loc. A newline right after `"""`/`'''` is not
  // part of the string, so its content starts on the next line.
  SourceLoc content_loc(SourceLoc loc) {
    size_t off = offset_of(loc.line, loc.col);
    if (off >= text_.size()) return loc;
    std::string_view rest = text_.substr(off);
    if (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
      rest.remove_prefix(3);
      if (rest.starts_with("\n") || rest.starts_with("\r\n")) {
        loc.line += 1;
        loc.col = 1;
      } else {
        loc.col += 3;
      }
    } else if (rest.starts_with("\"") || rest.starts_with("'")) {
      loc.col += 1;
    }
    return loc;
  }

  // Byte offset of a 1-based line and (code point) column; npos if out of range.
  size_t offset_of(int line, int col) {
    if (line_starts_.empty()) {
      line_starts_.push_back(0);
      for (size_t i = 0; i < text_.size(); ++i)
        if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
    if (line < 1 || static_cast<size_t>(line) > line_starts_.size()) return std::string_view::npos;
    size_t off = line_starts_[static_cast<size_t>(line) - 1];
    for (int c = 1; c < col && off < text_.size(); ++c) {
      ++off;  // skip UTF-8 continuation bytes: toml++ counts columns in code points
      while (off < text_.size() && (static_cast<unsigned char>(text_[off]) & 0xC0) == 0x80) ++off;
    }
    return off;
  }

  std::string path_;
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

// Any TOML node as a Value (dates and times become their TOML text).
Value to_value(const toml::node& n, Source& src) {
  SourceLoc loc = src.value_loc(n);
  switch (n.type()) {
    case toml::node_type::string:
      return Value(n.as_string()->get(), std::move(loc));
    case toml::node_type::integer:
      return Value(n.as_integer()->get(), std::move(loc));
    case toml::node_type::floating_point:
      return Value(n.as_floating_point()->get(), std::move(loc));
    case toml::node_type::boolean:
      return Value(n.as_boolean()->get(), std::move(loc));
    case toml::node_type::array: {
      ValueList list;
      list.reserve(n.as_array()->size());
      for (const auto& e : *n.as_array()) list.push_back(to_value(e, src));
      return Value(std::move(list), std::move(loc));
    }
    case toml::node_type::table: {
      ValueTable table;
      for (auto [k, v] : ordered(*n.as_table())) {
        Value member = to_value(*v, src);
        member.key_loc = src.key_loc(*k);
        table.emplace_back(std::string(k->str()), std::move(member));
      }
      return Value(std::move(table), std::move(loc));
    }
    default: {
      std::ostringstream text;
      n.visit([&](const auto& x) { text << x; });
      return Value(text.str(), std::move(loc));
    }
  }
}

// The common step keys (plan.cpp common_step_keys()), parsed into StepDecl fields.
// clang-format off
enum class Key {
  Kind, Description, Requires, After, OnFailure, Always, Watches, TriggeredBy, When, Timeout,
  KillGrace, Retries, User, Env, Venv, Cwd, Outputs, Idempotent, Tags, Handles
};
// clang-format on

std::optional<Key> common_key(std::string_view k) {
  // clang-format off
  static const std::unordered_map<std::string_view, Key> keys = {
      {"kind", Key::Kind}, {"description", Key::Description}, {"requires", Key::Requires},
      {"after", Key::After}, {"on_failure", Key::OnFailure}, {"always", Key::Always},
      {"watches", Key::Watches}, {"triggered_by", Key::TriggeredBy}, {"when", Key::When},
      {"timeout", Key::Timeout}, {"kill_grace", Key::KillGrace}, {"retries", Key::Retries},
      {"user", Key::User}, {"env", Key::Env}, {"venv", Key::Venv}, {"cwd", Key::Cwd},
      {"outputs", Key::Outputs}, {"idempotent", Key::Idempotent}, {"tags", Key::Tags},
      {"handles", Key::Handles}};
  // clang-format on
  auto it = keys.find(k);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

// Loads a main file and its includes into one Plan. One instance per load.
class Loader {
 public:
  explicit Loader(Diagnostics& diags) : diags_(diags) {}

  std::optional<Plan> load_main(std::string_view text, const std::string& path) {
    plan_.path = path;
    plan_.files.push_back(path);
    plan_.loc = SourceLoc{path, 1, 1};
    toml::table root;
    try {
      root = toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& e) {
      syntax_error(path, e);
      return std::nullopt;
    }
    Source src(path, text);
    std::string id = identity(path);
    loaded_.insert(id);
    stack_.push_back({id, path});
    load_file(root, src, /*is_main=*/true);
    stack_.pop_back();
    drop_duplicate_steps();
    return std::move(plan_);
  }

 private:
  void error(SourceLoc loc, std::string message) {
    diags_.error(std::move(loc), std::move(message));
  }

  void syntax_error(const std::string& path, const toml::parse_error& e) {
    const auto& b = e.source().begin;
    error(SourceLoc{path, static_cast<int>(b.line), static_cast<int>(b.column)},
          std::string(e.description()));
  }

  // The identity of a file for cycle detection (the same file spelled two ways is one file).
  static std::string identity(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    if (ec) p = fs::absolute(path, ec).lexically_normal();
    return p.string();
  }

  // Reports every step id defined more than once and keeps only the first definition (in
  // load order: includes before the including file). Sorting indices instead of a hash map
  // of ids keeps a 100k-step load free of per-step allocations.
  void drop_duplicate_steps() {
    auto& steps = plan_.steps;
    std::vector<uint32_t> order(steps.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return steps[a].id < steps[b].id; });
    std::vector<bool> drop(steps.size());
    bool any = false;
    for (size_t i = 1, first = 0; i < order.size(); ++i) {
      if (steps[order[i]].id != steps[order[first]].id) {
        first = i;
        continue;
      }
      const StepDecl& dup = steps[order[i]];
      error(dup.loc,
            "step '" + dup.id + "' is already defined at " + steps[order[first]].loc.str());
      drop[order[i]] = any = true;
    }
    if (!any) return;
    size_t kept = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (drop[i]) continue;
      if (kept != i) steps[kept] = std::move(steps[i]);
      ++kept;
    }
    steps.resize(kept);
  }

  // ---- files and includes ----

  void load_file(const toml::table& root, Source& src, bool is_main) {
    const toml::table* plan_t = nullptr;
    const toml::table* vars_t = nullptr;
    const toml::table* steps_t = nullptr;
    SourceLoc plan_loc;
    static const std::vector<std::string> top = {"plan", "vars", "steps"};
    for (auto [k, v] : ordered(root)) {
      std::string key(k->str());
      const toml::table** slot = key == "plan"    ? &plan_t
                                 : key == "vars"  ? &vars_t
                                 : key == "steps" ? &steps_t
                                                  : nullptr;
      if (!slot) {
        error(src.key_loc(*k), "unknown top-level key '" + key + "'" + did_you_mean(key, top));
        continue;
      }
      if (!v->is_table()) {
        error(src.node_loc(*v), "'" + key + "' must be a table ([" + key + "]), not " + a_type(*v));
        continue;
      }
      *slot = v->as_table();
      if (key == "plan") plan_loc = src.at(v->source().begin);
    }

    std::vector<std::pair<std::string, SourceLoc>> includes;
    if (plan_t) {
      load_plan_table(*plan_t, plan_loc, src, is_main, includes);
    } else if (is_main) {
      error(SourceLoc{src.path(), 1, 1}, "missing [plan] table with the plan's 'name'");
    }
    for (const auto& [inc, at] : includes) load_include(inc, at, src);
    if (vars_t) load_vars(*vars_t, src);
    if (steps_t) load_steps(*steps_t, src);
  }

  void load_plan_table(const toml::table& t, const SourceLoc& loc, Source& src, bool is_main,
                       std::vector<std::pair<std::string, SourceLoc>>& includes) {
    static const std::vector<std::string> keys = {"name", "description", "include"};
    bool has_name = false;
    for (auto [k, v] : ordered(t)) {
      std::string key(k->str());
      if (key == "name") {
        has_name = true;
        auto s = string_of(*v, key, src);
        if (!s) continue;
        if (!is_main) continue;  // a fragment's name means nothing
        if (!valid_plan_name(*s))
          error(src.value_loc(*v), "plan name '" + *s + "' must match [a-z0-9-]+");
        plan_.name = *s;
      } else if (key == "description") {
        auto s = string_of(*v, key, src);
        if (s && is_main) plan_.description = *s;
      } else if (key == "include") {
        const toml::array* a = v->as_array();
        if (!a) {
          error(src.node_loc(*v), "'include' must be a list of file paths, not " + a_type(*v));
          continue;
        }
        for (const auto& e : *a) {
          if (const auto* s = e.as_string())
            includes.emplace_back(s->get(), src.value_loc(e));
          else
            error(src.node_loc(e),
                  "each entry of 'include' must be a file path string, not " + a_type(e));
        }
      } else {
        error(src.key_loc(*k), "unknown key '" + key + "' in [plan]" + did_you_mean(key, keys));
      }
    }
    if (is_main) {
      plan_.loc = loc;
      if (!has_name) error(loc, "[plan] has no 'name'");
    }
  }

  void load_include(const std::string& rel, const SourceLoc& at, const Source& includer) {
    fs::path base = fs::path(includer.path()).parent_path();
    std::string path = (base / rel).lexically_normal().string();
    std::string id = identity(path);
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].first != id) continue;
      std::string cycle;
      for (size_t j = i; j < stack_.size(); ++j) cycle += stack_[j].second + " -> ";
      error(at, "include cycle: " + cycle + stack_[i].second);
      return;
    }
    if (!loaded_.insert(id).second) return;  // already merged through another include
    auto text = read_file(path);
    if (!text) {
      error(at, "cannot read included file '" + path + "': " + text.error().message);
      return;
    }
    toml::table root;
    try {
      root = toml::parse(std::string_view(*text), std::string_view(path));
    } catch (const toml::parse_error& e) {
      syntax_error(path, e);
      return;
    }
    plan_.files.push_back(path);
    Source src(path, *text);
    stack_.push_back({id, path});
    load_file(root, src, /*is_main=*/false);
    stack_.pop_back();
  }

  // ---- scalar helpers: each reports a type error at the value and returns nullopt ----

  std::optional<std::string> string_of(const toml::node& v, const std::string& key, Source& src) {
    if (const auto* s = v.as_string()) return s->get();
    error(src.node_loc(v), "'" + key + "' must be a string, not " + a_type(v));
    return std::nullopt;
  }

  std::optional<LocatedText> text_of(const toml::node& v, const std::string& key, Source& src) {
    auto s = string_of(v, key, src);
    if (!s) return std::nullopt;
    return LocatedText{std::move(*s), src.value_loc(v)};
  }

  std::optional<bool> bool_of(const toml::node& v, const std::string& key, Source& src) {
    if (const auto* b = v.as_boolean()) return b->get();
    error(src.node_loc(v), "'" + key + "' must be true or false, not " + a_type(v));
    return std::nullopt;
  }

  std::optional<Millis> duration_of(const toml::node& v, const std::string& key, Source& src) {
    const auto* s = v.as_string();
    if (!s) {
      error(src.node_loc(v),
            "'" + key + "' must be a duration string such as \"5s\", not " + a_type(v));
      return std::nullopt;
    }
    auto d = parse_duration(s->get());
    if (!d) {
      error(src.value_loc(v), d.error().message);
      return std::nullopt;
    }
    return *d;
  }

  // An integer in [lo, hi]; reports a type or range error.
  std::optional<int> int_of(const toml::node& v, const std::string& key, int64_t lo, int64_t hi,
                            Source& src) {
    const auto* i = v.as_integer();
    if (!i) {
      error(src.node_loc(v), "'" + key + "' must be an integer, not " + a_type(v));
      return std::nullopt;
    }
    int64_t n = i->get();
    if (n < lo) {
      error(src.value_loc(v),
            "'" + key + "' must be " + std::to_string(lo) + " or more, not " + std::to_string(n));
      return std::nullopt;
    }
    if (n > hi) {
      error(src.value_loc(v),
            "'" + key + "' must be at most " + std::to_string(hi) + ", not " + std::to_string(n));
      return std::nullopt;
    }
    return static_cast<int>(n);
  }

  // A list of step ids (or, with allow_one, a single id).
  std::vector<StepRef> refs_of(const toml::node& v, const std::string& key, bool allow_one,
                               Source& src) {
    std::vector<StepRef> out;
    if (allow_one && v.is_string()) {
      out.push_back({v.as_string()->get(), src.value_loc(v)});
      return out;
    }
    const toml::array* a = v.as_array();
    if (!a) {
      error(src.node_loc(v),
            "'" + key + "' must be " +
                (allow_one ? "a step id or a list of step ids" : "a list of step ids") + ", not " +
                a_type(v));
      return out;
    }
    for (const auto& e : *a) {
      if (const auto* s = e.as_string())
        out.push_back({s->get(), src.value_loc(e)});
      else
        error(src.node_loc(e),
              "each entry of '" + key + "' must be a step id string, not " + a_type(e));
    }
    return out;
  }

  std::vector<std::string> strings_of(const toml::node& v, const std::string& key, Source& src) {
    std::vector<std::string> out;
    const toml::array* a = v.as_array();
    if (!a) {
      error(src.node_loc(v), "'" + key + "' must be a list of strings, not " + a_type(v));
      return out;
    }
    for (const auto& e : *a) {
      if (const auto* s = e.as_string())
        out.push_back(s->get());
      else
        error(src.node_loc(e), "each entry of '" + key + "' must be a string, not " + a_type(e));
    }
    return out;
  }

  // ---- [vars] ----

  void load_vars(const toml::table& t, Source& src) {
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
  std::optional<VarType> infer_type(const VarDecl& var, const toml::node& v, Source& src) {
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
  void check_list_elements(const VarDecl& var, const toml::node& v, Source& src) {
    for (const auto& e : *v.as_array()) {
      if (e.is_array() || e.is_table())
        error(src.node_loc(e), "elements of list variable '" + var.name +
                                   "' must be strings, integers or booleans, not " + a_type(e));
    }
  }

  void load_var_short(VarDecl& var, const toml::node& v, Source& src) {
    auto type = infer_type(var, v, src);
    if (!type) return;
    var.type = *type;
    if (v.is_array()) check_list_elements(var, v, src);
    var.default_value = to_value(v, src);
  }

  void load_var_long(VarDecl& var, const toml::table& t, Source& src) {
    static const std::vector<std::string> keys = {"default", "type", "description", "secret",
                                                  "choices"};
    const toml::node* def = nullptr;
    bool typed = false;
    SourceLoc choices_loc;
    for (auto [k, v] : ordered(t)) {
      std::string key(k->str());
      if (key == "default") {
        def = v;
      } else if (key == "type") {
        auto s = string_of(*v, key, src);
        if (!s) continue;
        if (auto type = parse_var_type(*s)) {
          var.type = *type;
          typed = true;
        } else {
          error(src.value_loc(*v), "unknown variable type '" + *s +
                                       "': expected string, bool, int, path, list or duration");
        }
      } else if (key == "description") {
        if (auto s = string_of(*v, key, src)) var.description = *s;
      } else if (key == "secret") {
        if (auto b = bool_of(*v, key, src)) var.secret = *b;
      } else if (key == "choices") {
        var.choices = strings_of(*v, key, src);
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

  void check_default_type(const VarDecl& var, const toml::node& def, Source& src) {
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

  void check_default_choice(const VarDecl& var) {
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

  // ---- [steps] ----

  void load_steps(const toml::table& t, Source& src) {
    auto members = ordered(t);
    plan_.steps.reserve(plan_.steps.size() + members.size());
    for (auto [k, v] : members) load_step(*k, *v, src);
  }

  void load_step(const toml::key& k, const toml::node& v, Source& src) {
    StepDecl step;
    step.id = std::string(k.str());
    SourceLoc key_loc = src.key_loc(k);
    if (!valid_step_id(step.id))
      error(key_loc, "step id '" + step.id + "' must match [a-z0-9][a-z0-9-]*");
    const toml::table* t = v.as_table();
    if (!t) {
      error(src.node_loc(v),
            "step '" + step.id + "' must be a table ([steps." + step.id + "]), not " + a_type(v));
      return;
    }
    step.loc = t->is_inline() ? key_loc : src.at(t->source().begin);
    bool has_kind = false;
    for (auto [pk, pv] : ordered(*t)) {
      std::string key(pk->str());
      auto which = common_key(key);
      if (!which) {
        Value param = to_value(*pv, src);
        param.key_loc = src.key_loc(*pk);
        step.params.emplace_back(std::move(key), std::move(param));
        continue;
      }
      if (*which == Key::Kind) has_kind = true;
      load_common_key(step, *which, key, *pv, src);
    }
    if (!has_kind) error(step.loc, "step '" + step.id + "' has no 'kind'");
    plan_.steps.push_back(std::move(step));
  }

  void load_common_key(StepDecl& s, Key which, const std::string& key, const toml::node& v,
                       Source& src) {
    switch (which) {
      case Key::Kind:
        if (auto t = string_of(v, key, src)) {
          s.kind = *t;
          s.kind_loc = src.value_loc(v);
        }
        break;
      case Key::Description:
        if (auto t = string_of(v, key, src)) s.description = *t;
        break;
      case Key::Requires:
        s.requires_ = refs_of(v, key, false, src);
        break;
      case Key::After:
        s.after = refs_of(v, key, false, src);
        break;
      case Key::OnFailure:
        s.on_failure = refs_of(v, key, false, src);
        break;
      case Key::Watches:
        s.watches = refs_of(v, key, true, src);
        break;
      case Key::TriggeredBy:
        s.triggered_by = refs_of(v, key, true, src);
        break;
      case Key::Always:
        if (auto b = bool_of(v, key, src)) s.always = *b;
        break;
      case Key::Idempotent:
        if (auto b = bool_of(v, key, src)) s.idempotent = *b;
        break;
      case Key::Handles:
        if (auto b = bool_of(v, key, src)) s.handles = *b;
        break;
      case Key::When:
        if (const auto* str = v.as_string())
          s.when = LocatedText{str->get(), src.value_loc(v)};
        else
          error(src.node_loc(v), "'when' must be a string (an expression), not " + a_type(v));
        break;
      case Key::Timeout:
        if (auto d = duration_of(v, key, src)) s.timeout = *d;
        break;
      case Key::KillGrace:
        if (auto d = duration_of(v, key, src)) s.kill_grace = *d;
        break;
      case Key::Retries:
        load_retries(s.retries, v, src);
        break;
      case Key::User:
        if (auto t = text_of(v, key, src)) s.user = *t;
        break;
      case Key::Venv:
        if (auto t = text_of(v, key, src)) s.venv = *t;
        break;
      case Key::Cwd:
        if (auto t = text_of(v, key, src)) s.cwd = *t;
        break;
      case Key::Env:
        load_env(s.env, v, src);
        break;
      case Key::Outputs:
        load_outputs(s.outputs, v, src);
        break;
      case Key::Tags:
        s.tags = strings_of(v, key, src);
        break;
    }
  }

  void load_retries(RetryPolicy& r, const toml::node& v, Source& src) {
    static constexpr int kMax = 1000;
    if (v.is_integer()) {
      if (auto n = int_of(v, "retries", 0, kMax - 1, src)) r.attempts = *n + 1;
      return;
    }
    const toml::table* t = v.as_table();
    if (!t) {
      error(src.node_loc(v),
            "'retries' must be an integer or a table { attempts, backoff, max_backoff, jitter }, "
            "not " +
                a_type(v));
      return;
    }
    static const std::vector<std::string> keys = {"attempts", "backoff", "max_backoff", "jitter"};
    for (auto [k, e] : ordered(*t)) {
      std::string key(k->str());
      if (key == "attempts") {
        if (auto n = int_of(*e, key, 1, kMax, src)) r.attempts = *n;
      } else if (key == "backoff") {
        if (auto d = duration_of(*e, key, src)) r.backoff = *d;
      } else if (key == "max_backoff") {
        if (auto d = duration_of(*e, key, src)) r.max_backoff = *d;
      } else if (key == "jitter") {
        if (auto b = bool_of(*e, key, src)) r.jitter = *b;
      } else {
        error(src.key_loc(*k), "unknown key '" + key + "' in 'retries'" + did_you_mean(key, keys));
      }
    }
  }

  void load_env(std::vector<EnvEntry>& out, const toml::node& v, Source& src) {
    const toml::table* t = v.as_table();
    if (!t) {
      error(src.node_loc(v), "'env' must be a table of NAME = \"value\", not " + a_type(v));
      return;
    }
    static const std::vector<std::string> keys = {"prepend", "append"};
    for (auto [k, e] : ordered(*t)) {
      EnvEntry entry;
      entry.name = std::string(k->str());
      if (const auto* s = e->as_string()) {
        entry.value = s->get();
        entry.loc = src.value_loc(*e);
        out.push_back(std::move(entry));
        continue;
      }
      const toml::table* mode = e->as_table();
      if (!mode) {
        error(src.node_loc(*e), "env '" + entry.name +
                                    "' must be a string or a table { prepend = \"...\" } / "
                                    "{ append = \"...\" }, not " +
                                    a_type(*e));
        continue;
      }
      int found = 0;
      bool bad = false;
      for (auto [mk, mv] : ordered(*mode)) {
        std::string key(mk->str());
        if (key != "prepend" && key != "append") {
          error(src.key_loc(*mk),
                "unknown key '" + key + "' in env '" + entry.name + "'" + did_you_mean(key, keys));
          bad = true;
          continue;
        }
        ++found;
        auto text = text_of(*mv, key, src);
        if (!text) {
          bad = true;
          continue;
        }
        entry.mode = key == "prepend" ? EnvEntry::Mode::Prepend : EnvEntry::Mode::Append;
        entry.value = text->text;
        entry.loc = text->loc;
      }
      if (found != 1) {
        if (!bad || found > 1)
          error(src.value_loc(*e),
                "env '" + entry.name + "' must have exactly one of 'prepend' or 'append'");
        continue;
      }
      if (!bad) out.push_back(std::move(entry));
    }
  }

  void load_outputs(std::vector<OutputDecl>& out, const toml::node& v, Source& src) {
    const toml::table* t = v.as_table();
    if (!t) {
      error(src.node_loc(v),
            "'outputs' must be a table of NAME = { from = \"stdout\", regex = "
            "\"...\" }, not " +
                a_type(v));
      return;
    }
    static const std::vector<std::string> keys = {"from", "regex"};
    for (auto [k, e] : ordered(*t)) {
      OutputDecl o;
      o.name = std::string(k->str());
      o.loc = src.key_loc(*k);
      const toml::table* spec = e->as_table();
      if (!spec) {
        error(src.node_loc(*e), "output '" + o.name +
                                    "' must be a table { from = \"stdout\", regex = \"...\" }, "
                                    "not " +
                                    a_type(*e));
        continue;
      }
      bool ok = true;
      for (auto [sk, sv] : ordered(*spec)) {
        std::string key(sk->str());
        if (key == "from") {
          auto from = string_of(*sv, key, src);
          if (from && (*from == "stdout" || *from == "stderr")) {
            o.from = *from;
          } else {
            if (from)
              error(src.value_loc(*sv),
                    "'from' must be \"stdout\" or \"stderr\", not \"" + *from + "\"");
            ok = false;
          }
        } else if (key == "regex") {
          auto re = string_of(*sv, key, src);
          if (!re) {
            ok = false;
            continue;
          }
          try {
            std::regex compiled(*re, std::regex::ECMAScript);
          } catch (const std::regex_error& err) {
            error(src.value_loc(*sv),
                  "invalid regex for output '" + o.name + "': " + std::string(err.what()));
            ok = false;
          }
          o.regex = *re;
        } else {
          error(src.key_loc(*sk),
                "unknown key '" + key + "' in output '" + o.name + "'" + did_you_mean(key, keys));
          ok = false;
        }
      }
      if (ok) out.push_back(std::move(o));
    }
  }

  Diagnostics& diags_;
  Plan plan_;
  std::unordered_map<std::string, SourceLoc> var_first_;    // var name -> first definition
  std::unordered_set<std::string> loaded_;                  // identities of merged files
  std::vector<std::pair<std::string, std::string>> stack_;  // (identity, path) being loaded
};

}  // namespace

std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags) {
  return Loader(diags).load_main(text, path);
}

std::optional<Plan> load_plan_file(const std::string& path, Diagnostics& diags) {
  auto text = read_file(path);
  if (!text) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read plan: " + text.error().message);
    return std::nullopt;
  }
  return load_plan_text(*text, path, diags);
}

std::vector<VarOverride> load_vars_file(const std::string& path, Diagnostics& diags) {
  std::vector<VarOverride> out;
  auto text = read_file(path);
  if (!text) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read vars file: " + text.error().message);
    return out;
  }
  toml::table root;
  try {
    root = toml::parse(std::string_view(*text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    diags.error(SourceLoc{path, static_cast<int>(b.line), static_cast<int>(b.column)},
                std::string(e.description()));
    return out;
  }
  Source src(path, *text);
  for (auto [k, v] : ordered(root)) {
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
                                          a_type(*v));
        continue;
    }
    o.value = to_value(*v, src);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ordo
