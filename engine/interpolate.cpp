// `${...}` templates: parsing with exact positions, rendering with optional shell quoting.
#include "interpolate.h"

#include "diagnostics.h"

namespace ordo {
namespace {

// Walks text while keeping the SourceLoc of the current character.
class Cursor {
 public:
  Cursor(std::string_view s, SourceLoc loc) : s_(s), loc_(std::move(loc)) {}
  size_t pos() const { return i_; }
  const SourceLoc& loc() const { return loc_; }
  void advance(size_t n = 1) {
    for (; n > 0 && i_ < s_.size(); --n) {
      const char c = s_[i_++];
      if (!loc_.known()) continue;
      if (c == '\n') {
        ++loc_.line;
        loc_.col = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++loc_.col;  // count code points, not UTF-8 continuation bytes
      }
    }
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
  SourceLoc loc_;
};

void add_literal(std::vector<Template::Segment>& segs, std::string_view text) {
  if (segs.empty() || segs.back().is_ref) segs.emplace_back();
  segs.back().literal += text;
}

const char* kLiteralHint = " (write $${ for a literal '${')";

// How a ref is shown in messages: as the user would write it.
std::string spelled(const Template::Segment& seg) {
  const std::string name = seg.ref.kind == Ref::Kind::Var ? seg.ref.name : seg.ref.str();
  return "${" + std::string(seg.raw ? "raw:" : "") + name + "}";
}

// Parses the inside of `${...}`; `c` stands on its first character and ends on the '}'.
Result<Template::Segment> parse_inside(std::string_view inside, Cursor& c,
                                       const SourceLoc& dollar) {
  while (!inside.empty() && inside.front() == ' ') {
    inside.remove_prefix(1);
    c.advance();
  }
  while (!inside.empty() && inside.back() == ' ') inside.remove_suffix(1);
  if (inside.empty()) return make_error("empty '${}': expected a name, e.g. ${venv}", dollar);

  Template::Segment seg;
  seg.is_ref = true;
  if (size_t colon = inside.find(':'); colon != std::string_view::npos) {
    const std::string mod(inside.substr(0, colon));
    if (mod != "raw") {
      std::string hint = did_you_mean(mod, {"raw"});
      return make_error("unknown modifier '" + mod + ":' in '${" + std::string(inside) + "}'" +
                            (hint.empty() ? kLiteralHint : hint),
                        c.loc());
    }
    seg.raw = true;
    inside.remove_prefix(colon + 1);
    c.advance(colon + 1);
  }
  auto ref = parse_ref(inside, c.loc());
  if (!ref.ok()) {
    Error e = ref.take_error();
    if (e.message.rfind("invalid character", 0) == 0) e.message += kLiteralHint;
    return e;
  }
  seg.ref = std::move(ref).value();
  seg.ref.loc = dollar;
  return seg;
}

}  // namespace

Result<Template> Template::parse(std::string_view text, SourceLoc loc) {
  Template t;
  Cursor c(text, std::move(loc));
  while (c.pos() < text.size()) {
    const size_t i = c.pos();
    const size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      add_literal(t.segments_, text.substr(i));
      break;
    }
    if (dollar > i) {
      add_literal(t.segments_, text.substr(i, dollar - i));
      c.advance(dollar - i);
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (next != '{') {  // `$$` is one `$`; a lone `$` (as in $HOME) stays as written
      add_literal(t.segments_, "$");
      c.advance(next == '$' ? 2 : 1);
      continue;
    }
    const SourceLoc at_dollar = c.loc();
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return make_error("unterminated '${': missing '}'", at_dollar);
    c.advance(2);
    TRY_ASSIGN(Segment seg, parse_inside(text.substr(i + 2, close - i - 2), c, at_dollar));
    t.segments_.push_back(std::move(seg));
    c.advance(close + 1 - c.pos());
  }
  return t;
}

std::vector<Ref> Template::refs() const {
  std::vector<Ref> out;
  for (const auto& s : segments_)
    if (s.is_ref) out.push_back(s.ref);
  return out;
}

bool Template::has_refs() const {
  for (const auto& s : segments_)
    if (s.is_ref) return true;
  return false;
}

Result<std::string> Template::render(const Scope& scope, Quote quote) const {
  std::string out;
  for (const auto& seg : segments_) {
    if (!seg.is_ref) {
      out += seg.literal;
      continue;
    }
    std::optional<Value> v = scope.lookup(seg.ref);
    if (!v) return make_error("undefined reference " + spelled(seg), seg.ref.loc);
    if (quote == Quote::None || seg.raw) {
      out += v->to_text();
    } else if (v->is_list()) {  // each element is one shell word
      const ValueList& items = v->as_list();
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) out += ' ';
        out += shell_quote(items[k].to_text());
      }
    } else {
      out += shell_quote(v->to_text());
    }
  }
  return out;
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += "'\\''";
    else
      out += ch;
  }
  return out + "'";
}

Result<Value> interpolate_value(const Value& v, const Scope& scope, bool partial) {
  Value out = v;
  switch (v.kind()) {
    case ValueKind::String: {
      TRY_ASSIGN(Template t, Template::parse(v.as_string(), v.loc));
      if (partial) {
        for (const auto& seg : t.segments())
          if (seg.is_ref && !scope.lookup(seg.ref)) return out;  // not known yet: keep as is
      }
      TRY_ASSIGN(std::string text, t.render(scope));
      out.data = std::move(text);
      return out;
    }
    case ValueKind::List:
      for (Value& item : out.as_list()) {
        TRY_ASSIGN(item, interpolate_value(item, scope, partial));
      }
      return out;
    case ValueKind::Table:
      for (auto& [key, item] : out.as_table()) {
        TRY_ASSIGN(item, interpolate_value(item, scope, partial));
      }
      return out;
    default:
      return out;
  }
}

}  // namespace ordo
