// Preparing one step's launch: its parameters interpolated against the run's scope (shell-quoted
// where the kind's table says so, defaults applied), its `user`/`env`/`venv`/`cwd` turned into
// a RunAs; and the steps a step refers to (the scheduler waits for those to settle first).
// Also the step's `outputs` declarations, compiled once and applied to its captured output.
// Pure functions and immutable objects; thread-safe for const use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "executor.h"
#include "plan.h"
#include "refs.h"

namespace ordo {

struct PreparedStep {
  ValueTable params;  // interpolated, defaults applied
  RunAs run_as;
  int max_fires = 1;  // watchers: the `max_fires` parameter (default 1)
};

// Errors name what could not be interpolated: "parameter `argv`: plan.toml:4:9: undefined
// reference ${steps.a.outputs.v}", or make_run_as()'s message.
Result<PreparedStep> prepare_step(const StepDecl& step, const Executor& executor,
                                  const Scope& scope);

// The step ids referred to by `${...}` in the step's parameters, `user`, `env`, `venv` and
// `cwd`, plus `when_refs`; each id once, in order of appearance. Unparsable strings are
// skipped (prepare_step reports them).
std::vector<std::string> referenced_steps(const StepDecl& step, const std::vector<Ref>& when_refs);

// A step's `outputs` declarations, with their regexes compiled once.
class OutputDecls {
 public:
  explicit OutputDecls(const std::vector<OutputDecl>& decls);
  ~OutputDecls();
  OutputDecls(OutputDecls&&) noexcept;
  OutputDecls& operator=(OutputDecls&&) noexcept;

  bool wants(OutputStream s) const;  // some declaration reads this stream
  // Sets each declared output from the captured text: the regex's first capture group (or
  // the whole match), or without a regex the trimmed text. Returns a warning per declaration
  // that produced nothing (bad regex, no match).
  std::vector<std::string> extract(const std::string& out, const std::string& err,
                                   ValueTable& outputs) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Inserts or replaces `key` in an ordered table.
void table_put(ValueTable& table, const std::string& key, Value value);

}  // namespace ordo
