// The DSN helpers (see pg_dsn.h): pure string work, no libpq.
#include "pg_dsn.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace ordo {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

std::string redact_dsn(std::string_view dsn) {
  std::string s(dsn);
  std::vector<std::pair<size_t, size_t>> secret;  // [begin, end) ranges to hide
  const size_t sep = s.find("://");
  const bool uri =
      sep != std::string::npos && sep > 0 &&
      std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(sep), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
      });
  if (uri) {  // postgresql://, and any other URI an error message may quote
    size_t start = sep + 3;
    size_t end = std::min(s.find_first_of("/?", start), s.size());
    size_t at = s.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start && at < end) {
      size_t colon = s.find(':', start);
      if (colon < at) secret.emplace_back(colon + 1, at);
    }
    size_t q = s.find('?', start);
    while (q != std::string::npos && q < s.size()) {
      size_t b = q + 1;
      size_t e = std::min(s.find('&', b), s.size());
      if (s.compare(b, 9, "password=") == 0) secret.emplace_back(b + 9, e);
      q = e < s.size() ? e : std::string::npos;
    }
  } else {
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && is_space(s[i])) ++i;
      size_t kb = i;
      while (i < s.size() && s[i] != '=' && !is_space(s[i])) ++i;
      std::string key = s.substr(kb, i - kb);
      while (i < s.size() && is_space(s[i])) ++i;
      if (i >= s.size() || s[i] != '=') break;  // not conninfo: leave the rest as it is
      ++i;
      while (i < s.size() && is_space(s[i])) ++i;
      size_t vb = i;
      if (i < s.size() && s[i] == '\'') {
        for (++i; i < s.size() && s[i] != '\''; ++i)
          if (s[i] == '\\') ++i;
        if (i < s.size()) ++i;
      } else {
        while (i < s.size() && !is_space(s[i])) ++i;
      }
      if (key == "password") secret.emplace_back(vb, std::min(i, s.size()));
    }
  }
  std::sort(secret.begin(), secret.end());
  for (auto it = secret.rbegin(); it != secret.rend(); ++it)
    s.replace(it->first, it->second - it->first, "***");
  return s;
}

Result<std::string> parse_indico_conf_dsn(std::string_view text, const std::string& where) {
  const std::string_view key = "SQLALCHEMY_DATABASE_URI";
  std::optional<Result<std::string>> last;
  int lineno = 0;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    ++lineno;
    size_t i = 0;
    while (i < line.size() && is_space(line[i])) ++i;
    if (line.compare(i, key.size(), key) != 0) continue;
    i += key.size();
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size() || line[i] != '=' || line.compare(i, 2, "==") == 0) continue;
    ++i;
    while (i < line.size() && is_space(line[i])) ++i;
    auto bad = [&](const std::string& why) {
      return Error{where + ":" + std::to_string(lineno) + ": " + std::string(key) + " " + why, {}};
    };
    bool raw = false;
    if (i < line.size() && std::strchr("rRuU", line[i])) {
      raw = line[i] == 'r' || line[i] == 'R';
      ++i;
    }
    if (i >= line.size() || (line[i] != '\'' && line[i] != '"')) {
      last =
          bad("is not a quoted string (ordo reads SQLALCHEMY_DATABASE_URI = "
              "'postgresql://...')");
      continue;
    }
    char quote = line[i++];
    std::string value;
    bool closed = false;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (c == quote) {
        closed = true;
        ++i;
        break;
      }
      if (c == '\\' && !raw && i + 1 < line.size() && std::strchr("\\'\"", line[i + 1]))
        c = line[++i];
      value += c;
    }
    while (closed && i < line.size() && is_space(line[i])) ++i;
    if (!closed || (i < line.size() && line[i] != '#')) {
      last = bad("is not a single quoted string on one line");
      continue;
    }
    if (value.empty()) {
      last = bad("is empty");
      continue;
    }
    // SQLAlchemy names the driver in the scheme ("postgresql+psycopg2://"); libpq does not.
    size_t plus = value.find('+');
    size_t sep = value.find("://");
    std::string scheme = value.substr(0, std::min(plus, sep));
    if ((scheme != "postgresql" && scheme != "postgres") || sep == std::string::npos) {
      last = bad("is not a PostgreSQL URI: " + redact_dsn(value));
      continue;
    }
    last = "postgresql" + value.substr(sep);
  }
  if (!last) return Error{where + ": no " + std::string(key) + " setting found", {}};
  return *std::move(last);
}

Result<std::string> read_indico_conf_dsn(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Error{"cannot read indico.conf '" + path + "': " + std::strerror(errno), {}};
  std::stringstream buf;
  buf << f.rdbuf();
  return parse_indico_conf_dsn(buf.str(), path);
}

}  // namespace ordo
