#include "fingerprint.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <random>
#include <string_view>

#include <fmt/core.h>

#include "sha256.h"

namespace ordo {
namespace {

// Canonical JSON-like text with sorted table keys.
void canonical(const Value& v, std::string& out) {
  if (!v.is_table()) {
    if (!v.is_list()) {
      out += v.to_json();
      return;
    }
    out += '[';
    for (const Value& x : v.as_list()) {
      canonical(x, out);
      out += ',';
    }
    out += ']';
    return;
  }
  std::vector<const std::pair<std::string, Value>*> items;
  for (const auto& kv : v.as_table()) items.push_back(&kv);
  std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
  out += '{';
  for (const auto* kv : items) {
    out += Value(kv->first).to_json();
    out += ':';
    canonical(kv->second, out);
    out += ',';
  }
  out += '}';
}

const std::string* env_value(const RunAs& run_as, const std::string& name) {
  for (const auto& [k, v] : run_as.env)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace

std::string step_fingerprint(const StepDecl& decl, const PreparedStep& prepared,
                             std::string_view salt) {
  std::string text;
  text.append("salt\0", 5).append(salt);
  text.append("\nkind\0", 6).append(decl.kind);
  text.append("\nparams\0", 8);
  canonical(Value(prepared.params), text);
  text.append("\nuser\0", 6).append(prepared.run_as.user);
  text.append("\ncwd\0", 5).append(prepared.run_as.cwd);
  for (const EnvEntry& e : decl.env) {
    text.append("\nenv\0", 5).append(e.name).append(1, '\0');
    if (e.mode == EnvEntry::Mode::Set) {
      const std::string* v = env_value(prepared.run_as, e.name);
      text.append(v ? *v : std::string());
    } else {
      // The result includes the inherited value, which is not the plan's to fingerprint.
      text.append(e.mode == EnvEntry::Mode::Prepend ? "prepend:" : "append:").append(e.value);
    }
  }
  if (decl.venv && !decl.venv->empty()) {
    const std::string* v = env_value(prepared.run_as, "VIRTUAL_ENV");
    text.append("\nvenv\0", 6).append(v ? *v : decl.venv->text);
  }
  return sha256_hex(text);
}

Result<std::vector<FileDigest>> digest_files(const std::vector<std::string>& paths) {
  std::vector<FileDigest> out;
  for (const std::string& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return make_error("cannot read " + p);
    // In chunks: a plan of 100k steps is ~8 MB, which a whole-file string (and its copies
    // while growing) would add to the run's resident memory for good.
    Sha256 h;
    std::array<char, 65536> buf;
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
      h.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
    if (in.bad()) return make_error("cannot read " + p);
    out.push_back({p, h.finish_hex()});
  }
  return out;
}

std::string combined_digest(const std::vector<FileDigest>& files) {
  Sha256 h;
  for (const FileDigest& f : files) {
    h.update(f.sha256);
    h.update("\n");
  }
  return h.finish_hex();
}

std::string new_fingerprint_salt() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 4; ++i) s += fmt::format("{:08x}", rd());
  return s;
}

}  // namespace ordo
