// The plan loader's [steps.ID] tables: the step id, the common step keys (typed into StepDecl
// fields; the nested retries/env/outputs tables are in load_step_tables.cpp) and the executor
// parameters, kept as raw Values for validate(). Part of the loader (plan_loader_internal.h).
#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)  // defined by the headers above
#include <malloc.h>
#endif

#include "plan_loader_internal.h"

namespace ordo::loader {

// The common step keys (plan.cpp common_step_keys()), parsed into StepDecl fields.
// clang-format off
enum class CommonKey {
  Kind, Description, Requires, After, OnFailure, Always, Watches, TriggeredBy, When, Timeout,
  KillGrace, Retries, User, Env, Venv, Cwd, Outputs, Idempotent, Tags, Handles
};
// clang-format on

namespace {

std::optional<CommonKey> common_key(std::string_view k) {
  static const std::unordered_map<std::string_view, CommonKey> keys = {
      {"kind", CommonKey::Kind},
      {"description", CommonKey::Description},
      {"requires", CommonKey::Requires},
      {"after", CommonKey::After},
      {"on_failure", CommonKey::OnFailure},
      {"always", CommonKey::Always},
      {"watches", CommonKey::Watches},
      {"triggered_by", CommonKey::TriggeredBy},
      {"when", CommonKey::When},
      {"timeout", CommonKey::Timeout},
      {"kill_grace", CommonKey::KillGrace},
      {"retries", CommonKey::Retries},
      {"user", CommonKey::User},
      {"env", CommonKey::Env},
      {"venv", CommonKey::Venv},
      {"cwd", CommonKey::Cwd},
      {"outputs", CommonKey::Outputs},
      {"idempotent", CommonKey::Idempotent},
      {"tags", CommonKey::Tags},
      {"handles", CommonKey::Handles},
  };
  auto it = keys.find(k);
  if (it == keys.end()) return std::nullopt;
  return it->second;
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

// Steps converted before their subtrees are released together (~0.5 MiB of TOML nodes; the
// document and the converted steps of one batch coexist, so a smaller batch lowers the
// loader's peak: at 10k steps a batch of 4096 added ~3.5 MB to it, 512 ~0.6 MB). In
// batches, because a freed block first goes to the freeing thread's cache (glibc's tcache,
// 7 blocks per size), from which the Plan's next allocations of that size are served: freed
// one step at a time, every page of the document would keep a few Plan blocks and could not
// be returned. In a batch only the last 7 blocks of each size are reused that way.
constexpr size_t kReleaseEvery = 512;

}  // namespace

// Gives the pages of freed memory back to the system. glibc keeps freed small blocks for
// reuse, so without this the released TOML subtrees stay in the process's resident set while
// the Plan grows beside them: peak RSS would be the sum of both, not the larger.
void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void Loader::load_steps(const toml::table& t, Source& src) {
  // The loader owns the parsed document (load_plan_text / load_include parse it into a local
  // table), so each step's subtree is released once converted: peak memory is then about the
  // larger of the document and the Plan instead of their sum (≈0.9 KiB per step less; the
  // freed pages go back to the system every kReleaseEvery steps).
  auto& document = const_cast<toml::table&>(t);
  // The members in declaration order (as ordered() does), kept as iterators so that each is
  // erased without looking its key up again. Sorted by a (line, column) number: cheaper to
  // compare than through the iterators.
  std::vector<std::pair<uint64_t, toml::table::iterator>> members;
  members.reserve(document.size());
  for (auto it = document.begin(); it != document.end(); ++it) {
    const auto& p = it->first.source().begin;
    members.emplace_back(uint64_t{p.line} << 32 | p.column, it);
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  plan_.steps.reserve(plan_.steps.size() + members.size());
  size_t converted = 0;  // members[released, converted) still hold their subtree
  size_t released = 0;
  auto release = [&] {
    for (; released < converted; ++released) document.erase(members[released].second);
  };
  for (const auto& [pos, it] : members) {
    load_step(it->first, it->second, src);
    if (++converted - released == kReleaseEvery) {
      release();
      release_free_memory();
    }
  }
  release();
  if (members.size() >= kReleaseEvery) release_free_memory();
}

void Loader::load_step(const toml::key& k, const toml::node& v, Source& src) {
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
    if (*which == CommonKey::Kind) has_kind = true;
    load_common_key(step, *which, key, *pv, src);
  }
  if (!has_kind) error(step.loc, "step '" + step.id + "' has no 'kind'");
  plan_.steps.push_back(std::move(step));
}

void Loader::load_common_key(StepDecl& s, CommonKey which, const std::string& key,
                             const toml::node& v, Source& src) {
  switch (which) {
    case CommonKey::Kind:
      if (auto t = string_of(v, key, src, diags_)) {
        s.kind = *t;
        s.kind_loc = src.value_loc(v);
      }
      break;
    case CommonKey::Description:
      if (auto t = string_of(v, key, src, diags_)) s.description = *t;
      break;
    case CommonKey::Requires:
      s.requires_ = refs_of(v, key, false, src, diags_);
      break;
    case CommonKey::After:
      s.after = refs_of(v, key, false, src, diags_);
      break;
    case CommonKey::OnFailure:
      s.on_failure = refs_of(v, key, false, src, diags_);
      break;
    case CommonKey::Watches:
      s.watches = refs_of(v, key, true, src, diags_);
      break;
    case CommonKey::TriggeredBy:
      s.triggered_by = refs_of(v, key, true, src, diags_);
      break;
    case CommonKey::Always:
      if (auto b = bool_of(v, key, src, diags_)) s.always = *b;
      break;
    case CommonKey::Idempotent:
      if (auto b = bool_of(v, key, src, diags_)) s.idempotent = *b;
      break;
    case CommonKey::Handles:
      if (auto b = bool_of(v, key, src, diags_)) s.handles = *b;
      break;
    case CommonKey::When:
      if (const auto* str = v.as_string())
        s.when = LocatedText{str->get(), src.value_loc(v)};
      else
        error(src.node_loc(v), "'when' must be a string (an expression), not " + a_type(v));
      break;
    case CommonKey::Timeout:
      if (auto d = duration_of(v, key, src, diags_)) s.timeout = *d;
      break;
    case CommonKey::KillGrace:
      if (auto d = duration_of(v, key, src, diags_)) s.kill_grace = *d;
      break;
    case CommonKey::Retries:
      load_retries(s.retries, v, src);
      break;
    case CommonKey::User:
      if (auto t = text_of(v, key, src, diags_)) s.user = *t;
      break;
    case CommonKey::Venv:
      if (auto t = text_of(v, key, src, diags_)) s.venv = *t;
      break;
    case CommonKey::Cwd:
      if (auto t = text_of(v, key, src, diags_)) s.cwd = *t;
      break;
    case CommonKey::Env:
      load_env(s.env.mut(), v, src);
      break;
    case CommonKey::Outputs:
      load_outputs(s.outputs.mut(), v, src);
      break;
    case CommonKey::Tags:
      s.tags = strings_of(v, key, src, diags_);
      break;
  }
}

}  // namespace ordo::loader
