// Host facts from os-release(5), gethostname(2) and the password database.
#include "facts.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace ordo {
namespace {

// Unquotes an os-release value: "..." or '...' with backslash escapes, or a bare word.
std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return std::string(v);
}

std::map<std::string, std::string> read_os_release(const std::string& path) {
  std::map<std::string, std::string> kv;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    kv[line.substr(0, eq)] = unquote(std::string_view(line).substr(eq + 1));
  }
  return kv;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string os_family(const std::string& id, const std::string& id_like) {
  auto is_any = [](const std::string& w, std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (w == n) return true;
    return false;
  };
  if (is_any(id, {"debian", "ubuntu"})) return "debian";
  if (is_any(id, {"rhel", "centos", "fedora", "almalinux", "rocky"})) return "rhel";
  for (const auto& w : words(id_like)) {
    if (w == "debian") return "debian";
    if (w == "rhel" || w == "fedora") return "rhel";
  }
  return id;
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

std::string user_name() {
  uid_t uid = ::geteuid();
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);  // no passwd entry (e.g. an unnamed container uid)
}

std::string or_unknown(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() || it->second.empty() ? "unknown" : it->second;
}

}  // namespace

Facts gather_facts(const std::string& os_release) {
  auto kv = read_os_release(os_release);
  Facts f;
  f["os_id"] = or_unknown(kv, "ID");
  auto like = kv.find("ID_LIKE");
  f["os_family"] = os_family(f["os_id"], like == kv.end() ? "" : like->second);
  f["os_version"] = or_unknown(kv, "VERSION_ID");
  f["hostname"] = host_name();
  f["user"] = user_name();
  return f;
}

}  // namespace ordo
