// The plan loader's nested step tables: `retries` (an integer or { attempts, backoff,
// max_backoff, jitter }), `env` (NAME = "value" or { prepend/append = "..." }) and `outputs`
// (NAME = { from, regex }). Part of the loader (see plan_loader_internal.h).
#include <regex>
#include <string>
#include <vector>

#include "plan_loader_internal.h"

namespace ordo::loader {
namespace {

// libstdc++'s regex compiler reads a repeat count or back-reference into a long without an
// overflow check (undefined behaviour; found by the fuzzer, tests/fuzz). A number of more than
// 9 digits there is refused before compiling: no such regex could compile anyway (its state
// limit is 100000).
bool regex_number_too_large(std::string_view re) {
  auto digits = [&](size_t at) {
    size_t n = 0;
    while (at + n < re.size() && re[at + n] >= '0' && re[at + n] <= '9') ++n;
    return n;
  };
  for (size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\') {
      if (digits(i + 1) > 9) return true;
      ++i;  // the escaped character
    } else if (re[i] == '{') {
      size_t n = digits(i + 1);
      if (n > 9 || (i + 1 + n < re.size() && re[i + 1 + n] == ',' && digits(i + 2 + n) > 9))
        return true;
    }
  }
  return false;
}

}  // namespace

void Loader::load_retries(RetryPolicy& r, const toml::node& v, Source& src) {
  static constexpr int kMax = 1000;
  if (v.is_integer()) {
    if (auto n = int_of(v, "retries", 0, kMax - 1, src, diags_)) r.attempts = *n + 1;
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
      if (auto n = int_of(*e, key, 1, kMax, src, diags_)) r.attempts = *n;
    } else if (key == "backoff") {
      if (auto d = duration_of(*e, key, src, diags_)) r.backoff = *d;
    } else if (key == "max_backoff") {
      if (auto d = duration_of(*e, key, src, diags_)) r.max_backoff = *d;
    } else if (key == "jitter") {
      if (auto b = bool_of(*e, key, src, diags_)) r.jitter = *b;
    } else {
      error(src.key_loc(*k), "unknown key '" + key + "' in 'retries'" + did_you_mean(key, keys));
    }
  }
}

void Loader::load_env(std::vector<EnvEntry>& out, const toml::node& v, Source& src) {
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
      auto text = text_of(*mv, key, src, diags_);
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

void Loader::load_outputs(std::vector<OutputDecl>& out, const toml::node& v, Source& src) {
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
        auto from = string_of(*sv, key, src, diags_);
        if (from && (*from == "stdout" || *from == "stderr")) {
          o.from = *from;
        } else {
          if (from)
            error(src.value_loc(*sv),
                  "'from' must be \"stdout\" or \"stderr\", not \"" + *from + "\"");
          ok = false;
        }
      } else if (key == "regex") {
        auto re = string_of(*sv, key, src, diags_);
        if (!re) {
          ok = false;
          continue;
        }
        if (regex_number_too_large(*re)) {
          error(src.value_loc(*sv),
                "invalid regex for output '" + o.name +
                    "': a repeat count or back-reference of more than 9 digits");
          ok = false;
        } else {
          try {
            std::regex compiled(*re, std::regex::ECMAScript);
          } catch (const std::regex_error& err) {
            error(src.value_loc(*sv),
                  "invalid regex for output '" + o.name + "': " + std::string(err.what()));
            ok = false;
          }
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

}  // namespace ordo::loader
