#include "run_vars.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "journal.h"
#include "plan_loader.h"

namespace ordo {
namespace {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string toml_value(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Bool:
      return v.as_bool() ? "true" : "false";
    case ValueKind::Int:
      return std::to_string(v.as_int());
    case ValueKind::String:
      return toml_string(v.as_string());
    case ValueKind::List: {
      std::string out = "[";
      for (size_t i = 0; i < v.as_list().size(); ++i)
        out += (i ? ", " : "") + toml_value(v.as_list()[i]);
      return out + "]";
    }
    default:  // variables are never null, doubles or tables; keep the text
      return toml_string(v.to_text());
  }
}

Status write_run_vars(const std::string& path, const std::string& header, const Plan& plan,
                      const VarValues& vars, const std::string& salt, const FactOverrides& facts) {
  std::string text = "# " + header + "\n";
  text += toml_string(kSaltKey) + " = " + toml_string(salt) + "\n";
  for (const auto& [name, value] : facts)
    text += toml_string(kFactPrefix + name) + " = " + toml_string(value) + "\n";
  for (const VarDecl& d : plan.vars) {
    auto it = vars.find(d.name);
    if (it == vars.end()) continue;
    bool bare = !d.name.empty() && d.name.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-") == std::string::npos;
    text += (bare ? d.name : toml_string(d.name)) + " = " + toml_value(it->second) + "\n";
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot create " + path + ": " + std::strerror(errno));
  Status st = write_all(fd, text);
  bool synced = st.ok() && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!st.ok() || !synced) return make_error("cannot write " + path);
  return Ok{};
}

StoredVars read_run_vars(const std::string& path, Diagnostics& diags) {
  StoredVars out;
  for (VarOverride& o : load_vars_file(path, diags)) {
    if (o.name == kSaltKey) {
      if (o.value && o.value->is_string()) out.salt = o.value->as_string();
      continue;
    }
    if (o.name.rfind(kFactPrefix, 0) == 0) {
      if (o.value && o.value->is_string())
        out.facts.emplace_back(o.name.substr(std::string(kFactPrefix).size()),
                               o.value->as_string());
      continue;
    }
    out.overrides.push_back(std::move(o));
  }
  return out;
}

}  // namespace ordo
