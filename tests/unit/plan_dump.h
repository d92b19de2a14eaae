// Test helper: a loaded Plan and its Diagnostics as text, one field per line, every position
// included — for comparing two loads of the same text (tests/unit/test_loader_sections.cpp, and
// the fuzz target's whole-versus-sections check, tests/fuzz/fuzz_plan.cpp). Header-only.
#pragma once

#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "plan.h"

namespace ordo::plan_dump {

inline std::string loc(const SourceLoc& l) {
  return l.str();
}

inline void dump_value(std::ostream& o, const Value& v) {
  o << "@" << loc(v.loc) << "/" << loc(v.key_loc) << " ";
  if (v.is_null()) {
    o << "null";
  } else if (std::holds_alternative<ValueList>(v.data)) {
    o << "[";
    for (const auto& e : v.as_list()) dump_value(o, e), o << ", ";
    o << "]";
  } else if (std::holds_alternative<ValueTable>(v.data)) {
    o << "{";
    for (const auto& [k, e] : v.as_table()) o << k << "=", dump_value(o, e), o << ", ";
    o << "}";
  } else {
    o << v.to_json();
  }
}

inline void dump_refs(std::ostream& o, const char* what, const std::vector<StepRef>& refs) {
  o << "  " << what << ":";
  for (const auto& r : refs) o << " " << r.id << "@" << loc(r.loc);
  o << "\n";
}

inline void dump_text(std::ostream& o, const char* what, const Boxed<LocatedText>& t) {
  if (t) o << "  " << what << ": " << t->text << "@" << loc(t->loc) << "\n";
}

// Everything the loader fills in, positions included, one field per line.
inline std::string dump(const Plan& p) {
  std::ostringstream o;
  o << "plan " << p.name << "|" << p.description << "|" << p.path << "@" << loc(p.loc) << "\n";
  for (const auto& f : p.files) o << "file " << f << "\n";
  for (const auto& v : p.vars) {
    o << "var " << v.name << " " << var_type_name(v.type) << " " << v.description << " " << v.secret
      << "@" << loc(v.loc) << " ";
    dump_value(o, v.default_value);
    for (const auto& c : v.choices) o << " choice " << c;
    o << "\n";
  }
  for (const auto& s : p.steps) {
    o << "step " << s.id << "@" << loc(s.loc) << " kind " << s.kind << "@" << loc(s.kind_loc)
      << " desc " << s.description << " always " << s.always << " handles " << s.handles << " idem "
      << s.idempotent << "\n";
    dump_refs(o, "requires", s.requires_);
    dump_refs(o, "after", s.after);
    dump_refs(o, "on_failure", s.on_failure);
    dump_refs(o, "watches", s.watches);
    dump_refs(o, "triggered_by", s.triggered_by);
    dump_text(o, "when", s.when);
    dump_text(o, "user", s.user);
    dump_text(o, "venv", s.venv);
    dump_text(o, "cwd", s.cwd);
    o << "  timeout " << (s.timeout ? s.timeout->count() : -1) << " grace " << s.kill_grace.count()
      << " retries " << s.retries.attempts << "/" << s.retries.backoff.count() << "/"
      << s.retries.max_backoff.count() << "/" << s.retries.jitter << "\n";
    for (const auto& e : s.env)
      o << "  env " << e.name << " " << static_cast<int>(e.mode) << " " << e.value << "@"
        << loc(e.loc) << "\n";
    for (const auto& out : s.outputs)
      o << "  output " << out.name << " " << out.from << " " << out.regex << "@" << loc(out.loc)
        << "\n";
    for (const auto& t : s.tags) o << "  tag " << t << "\n";
    for (const auto& [k, v] : s.params) o << "  param " << k << " ", dump_value(o, v), o << "\n";
  }
  return o.str();
}

// Diagnostics in the order they were reported, with severity and position.
inline std::string dump(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items())
    out += std::to_string(static_cast<int>(x.severity)) + " " + x.str() + "\n";
  return out;
}

// A whole load: its diagnostics, then its plan (or "no plan").
inline std::string dump(const std::optional<Plan>& plan, const Diagnostics& d) {
  return dump(d) + "----\n" + (plan ? dump(*plan) : "no plan\n");
}

}  // namespace ordo::plan_dump
