// Splits a big plan's text into a prefix and sections of [steps.ID] tables, so the loader can
// parse and convert one section at a time (peak memory: the text, one section's TOML document
// and the converted Plan, instead of the text and the whole document). Pure text scanning: no
// toml++. Thread-safe (no state).
//
// A split is offered only when loading the sections one after the other is equivalent to
// loading the whole text: after the first `[steps.ID...]` header every table header is a
// `[steps.ID...]` or `[[steps.ID...]]` header (no `[steps]` itself, no other top-level table),
// the headers of one ID are contiguous, no ID's headers appear in two places, and every header
// is one the scanner understands (bare keys, quoted keys without escapes). The scanner follows
// TOML's strings (basic, literal, multi-line), comments and multi-line arrays, so a `[` line
// inside a value is not a header. The loader still checks that the prefix defines no `steps`
// key, and falls back to the whole text if any part fails to parse.
//
// Each section starts at the beginning of a header line, so columns inside it are the whole
// text's columns and only lines need an offset.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace ordo {

// When and how finely a plan is split. The defaults are the loader's; tests force tiny values.
struct SectionLimits {
  size_t min_bytes = 256 * 1024;  // smaller texts are parsed whole (nothing to gain)
  size_t steps = 256;             // step IDs per section (a section may hold fewer)
  size_t max_bytes = 512 * 1024;  // a section ends early once it holds this much text
};

struct PlanSection {
  std::string_view text;  // from the start of a header line to the next section (or the end)
  int line_offset = 0;    // lines of the whole text before the section's first line
  size_t steps = 0;       // step IDs in the section
};

struct PlanSections {
  std::string_view prefix;  // everything before the first [steps.ID...] header line
  std::vector<PlanSection> sections;
};

// The split of `text`, or nullopt when it is smaller than limits.min_bytes, has no
// [steps.ID] header, or is not provably equivalent to a whole parse (see above).
std::optional<PlanSections> split_plan_sections(std::string_view text, const SectionLimits& limits);

}  // namespace ordo
