// parse_ref: the dotted names of `${...}` and `when`, with errors that say what was expected.
#include "refs.h"

#include "diagnostics.h"

namespace ordo {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

struct Segment {
  std::string_view text;
  size_t offset;  // byte offset in the dotted name
};

SourceLoc at(const SourceLoc& loc, size_t offset) {
  SourceLoc l = loc;
  if (l.known()) l.col += static_cast<int>(offset);
  return l;
}

Result<Ref> make_ref(Ref::Kind kind, std::string step, std::string name, SourceLoc loc) {
  Ref r;
  r.kind = kind;
  r.step = std::move(step);
  r.name = std::move(name);
  r.loc = std::move(loc);
  return r;
}

}  // namespace

std::string Ref::str() const {
  switch (kind) {
    case Kind::Var:
      return "vars." + name;
    case Kind::StepStatus:
      return "steps." + step + ".status";
    case Kind::StepFired:
      return "steps." + step + ".fired";
    case Kind::StepOutput:
      return "steps." + step + ".outputs." + name;
    case Kind::Fact:
      return "facts." + name;
  }
  return name;
}

const std::vector<std::string>& known_facts() {
  static const std::vector<std::string> facts = {"os_id", "os_family", "os_version", "hostname",
                                                 "user"};
  return facts;
}

Result<Ref> parse_ref(std::string_view dotted, SourceLoc loc) {
  const std::string whole(dotted);
  if (dotted.empty()) return make_error("empty reference: expected a name", loc);

  std::vector<Segment> segs;
  size_t start = 0;
  for (size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      if (i == start) {
        const char* what = i == dotted.size() ? "ends with '.'" : "has an empty part";
        return make_error("reference '" + whole + "' " + what, at(loc, i));
      }
      segs.push_back({dotted.substr(start, i - start), start});
      start = i + 1;
    } else if (!is_name_char(dotted[i])) {
      return make_error("invalid character '" + std::string(1, dotted[i]) + "' in reference '" +
                            whole + "' (names use letters, digits, '_' and '-')",
                        at(loc, i));
    }
  }

  const std::string head(segs[0].text);
  if (segs.size() == 1) {
    if (head == "steps") {
      return make_error(
          "incomplete reference 'steps': expected steps.ID.status, steps.ID.fired "
          "or steps.ID.outputs.NAME",
          loc);
    }
    if (head == "vars" || head == "facts")
      return make_error("incomplete reference '" + head + "': expected " + head + ".NAME", loc);
    return make_ref(Ref::Kind::Var, "", head, loc);
  }

  if (head == "vars" || head == "facts") {
    if (segs.size() > 2) {
      return make_error(std::string(head == "vars" ? "variable" : "fact") +
                            " names have no dots: unexpected '." + std::string(segs[2].text) +
                            "' in '" + whole + "'",
                        at(loc, segs[2].offset - 1));
    }
    auto kind = head == "vars" ? Ref::Kind::Var : Ref::Kind::Fact;
    return make_ref(kind, "", std::string(segs[1].text), loc);
  }

  if (head == "steps") {
    const std::string id(segs[1].text);
    const std::string forms =
        "steps." + id + ".status, steps." + id + ".fired or steps." + id + ".outputs.NAME";
    if (segs.size() == 2)
      return make_error("incomplete reference '" + whole + "': expected " + forms, loc);
    const std::string attr(segs[2].text);
    if (attr == "status" || attr == "fired") {
      if (segs.size() > 3) {
        return make_error(
            "unexpected '." + std::string(segs[3].text) + "' after 'steps." + id + "." + attr + "'",
            at(loc, segs[3].offset - 1));
      }
      auto kind = attr == "status" ? Ref::Kind::StepStatus : Ref::Kind::StepFired;
      return make_ref(kind, id, "", loc);
    }
    if (attr == "outputs") {
      if (segs.size() == 3) {
        return make_error(
            "incomplete reference '" + whole + "': expected steps." + id + ".outputs.NAME", loc);
      }
      // The output name is everything after "outputs." (pip's `after.indico` has a dot).
      std::string name(dotted.substr(segs[3].offset));
      return make_ref(Ref::Kind::StepOutput, id, std::move(name), loc);
    }
    std::string hint = did_you_mean(attr, {"status", "fired", "outputs"});
    if (hint.empty()) hint = ": expected " + forms;
    return make_error("unknown step attribute '" + attr + "'" + hint, at(loc, segs[2].offset));
  }

  return make_error("unknown reference '" + whole + "'" +
                        did_you_mean(head, {"vars", "steps", "facts"}) +
                        ": expected NAME, vars.NAME, steps.ID.status, steps.ID.fired, "
                        "steps.ID.outputs.NAME or facts.NAME",
                    loc);
}

}  // namespace ordo
