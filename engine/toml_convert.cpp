// toml++ nodes -> Values, and where a value sits in its file (see toml_convert.h).
#include "toml_convert.h"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace ordo::loader {

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

SourceLoc Source::content_loc(SourceLoc loc) {
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

size_t Source::offset_of(int line, int col) {
  if (line < 1) return std::string_view::npos;
  while (cursor_line_ < line) {  // forward: past the next newline
    size_t nl = text_.find('\n', cursor_start_);
    if (nl == std::string_view::npos) return std::string_view::npos;  // no such line
    cursor_start_ = nl + 1;
    ++cursor_line_;
  }
  while (cursor_line_ > line) {  // back: text_[cursor_start_ - 1] ends the line before
    size_t nl = cursor_start_ < 2 ? std::string_view::npos : text_.rfind('\n', cursor_start_ - 2);
    cursor_start_ = nl == std::string_view::npos ? 0 : nl + 1;
    --cursor_line_;
  }
  size_t off = cursor_start_;
  for (int c = 1; c < col && off < text_.size(); ++c) {
    ++off;  // skip UTF-8 continuation bytes: toml++ counts columns in code points
    while (off < text_.size() && (static_cast<unsigned char>(text_[off]) & 0xC0) == 0x80) ++off;
  }
  return off;
}

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

// ---- typed readers ----

std::optional<std::string> string_of(const toml::node& v, const std::string& key, Source& src,
                                     Diagnostics& diags) {
  if (const auto* s = v.as_string()) return s->get();
  diags.error(src.node_loc(v), "'" + key + "' must be a string, not " + a_type(v));
  return std::nullopt;
}

std::optional<LocatedText> text_of(const toml::node& v, const std::string& key, Source& src,
                                   Diagnostics& diags) {
  auto s = string_of(v, key, src, diags);
  if (!s) return std::nullopt;
  return LocatedText{std::move(*s), src.value_loc(v)};
}

std::optional<bool> bool_of(const toml::node& v, const std::string& key, Source& src,
                            Diagnostics& diags) {
  if (const auto* b = v.as_boolean()) return b->get();
  diags.error(src.node_loc(v), "'" + key + "' must be true or false, not " + a_type(v));
  return std::nullopt;
}

std::optional<Millis> duration_of(const toml::node& v, const std::string& key, Source& src,
                                  Diagnostics& diags) {
  const auto* s = v.as_string();
  if (!s) {
    diags.error(src.node_loc(v),
                "'" + key + "' must be a duration string such as \"5s\", not " + a_type(v));
    return std::nullopt;
  }
  auto d = parse_duration(s->get());
  if (!d) {
    diags.error(src.value_loc(v), d.error().message);
    return std::nullopt;
  }
  return *d;
}

// An integer in [lo, hi]; reports a type or range error.
std::optional<int> int_of(const toml::node& v, const std::string& key, int64_t lo, int64_t hi,
                          Source& src, Diagnostics& diags) {
  const auto* i = v.as_integer();
  if (!i) {
    diags.error(src.node_loc(v), "'" + key + "' must be an integer, not " + a_type(v));
    return std::nullopt;
  }
  int64_t n = i->get();
  if (n < lo) {
    diags.error(src.value_loc(v), "'" + key + "' must be " + std::to_string(lo) + " or more, not " +
                                      std::to_string(n));
    return std::nullopt;
  }
  if (n > hi) {
    diags.error(src.value_loc(v), "'" + key + "' must be at most " + std::to_string(hi) + ", not " +
                                      std::to_string(n));
    return std::nullopt;
  }
  return static_cast<int>(n);
}

// A list of step ids (or, with allow_one, a single id).
std::vector<StepRef> refs_of(const toml::node& v, const std::string& key, bool allow_one,
                             Source& src, Diagnostics& diags) {
  std::vector<StepRef> out;
  if (allow_one && v.is_string()) {
    out.push_back({v.as_string()->get(), src.value_loc(v)});
    return out;
  }
  const toml::array* a = v.as_array();
  if (!a) {
    diags.error(src.node_loc(v),
                "'" + key + "' must be " +
                    (allow_one ? "a step id or a list of step ids" : "a list of step ids") +
                    ", not " + a_type(v));
    return out;
  }
  out.reserve(a->size());
  for (const auto& e : *a) {
    if (const auto* s = e.as_string())
      out.push_back({s->get(), src.value_loc(e)});
    else
      diags.error(src.node_loc(e),
                  "each entry of '" + key + "' must be a step id string, not " + a_type(e));
  }
  return out;
}

std::vector<std::string> strings_of(const toml::node& v, const std::string& key, Source& src,
                                    Diagnostics& diags) {
  std::vector<std::string> out;
  const toml::array* a = v.as_array();
  if (!a) {
    diags.error(src.node_loc(v), "'" + key + "' must be a list of strings, not " + a_type(v));
    return out;
  }
  for (const auto& e : *a) {
    if (const auto* s = e.as_string())
      out.push_back(s->get());
    else
      diags.error(src.node_loc(e),
                  "each entry of '" + key + "' must be a string, not " + a_type(e));
  }
  return out;
}

}  // namespace ordo::loader
