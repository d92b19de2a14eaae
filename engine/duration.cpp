#include "duration.h"

#include <fmt/core.h>

#include <cctype>

namespace ordo {

Result<Millis> parse_duration(std::string_view text) {
  static const char* kExpect =
      "expected a duration such as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)";
  std::string_view s = text;
  if (s.empty()) return make_error(std::string("empty duration: ") + kExpect);
  long long total = 0;
  bool any = false;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return make_error("bad duration \"" + std::string(text) + "\": " + kExpect);
    long long n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      n = n * 10 + (s[i] - '0');
      if (n > 1000LL * 1000 * 1000 * 1000)
        return make_error("duration too large: \"" + std::string(text) + "\"");
      ++i;
    }
    while (i < s.size() && s[i] == ' ') ++i;
    size_t u = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = s.substr(u, i - u);
    long long mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60 * 1000;
    else if (unit == "h")
      mult = 3600 * 1000;
    else if (unit == "d")
      mult = 24LL * 3600 * 1000;
    else if (unit.empty())
      return make_error("bad duration \"" + std::string(text) + "\": a number needs a unit; " +
                        kExpect);
    else
      return make_error("bad duration \"" + std::string(text) + "\": unknown unit '" +
                        std::string(unit) + "'; " + kExpect);
    total += n * mult;
    any = true;
  }
  if (!any) return make_error("bad duration \"" + std::string(text) + "\": " + kExpect);
  return Millis(total);
}

std::string format_duration(Millis d) {
  long long ms = d.count();
  if (ms < 0) return "-" + format_duration(Millis(-ms));
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60000) {
    long long s = ms / 1000, frac = (ms % 1000) / 100;
    return frac ? fmt::format("{}.{}s", s, frac) : fmt::format("{}s", s);
  }
  long long total_s = ms / 1000;
  long long h = total_s / 3600, m = (total_s % 3600) / 60, s = total_s % 60;
  std::string out;
  if (h) out += fmt::format("{}h", h);
  if (m) out += fmt::format("{}m", m);
  if (s) out += fmt::format("{}s", s);
  return out;
}

}  // namespace ordo
