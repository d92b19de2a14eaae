// terminal: asks the operator a yes/no question on a terminal, for the confirm gate. The
// caller opens the terminal (confirm opens /dev/tty: steps have stdin /dev/null, and the
// question is the engine's, not a child's) and passes its descriptor.
//
// Thread-safe: one question at a time in the whole process (a mutex held while asking), so
// two gates running in parallel never interleave their prompts; a gate waiting for its turn
// still honours its deadline and stop request.
#pragma once

#include <optional>
#include <stop_token>
#include <string>

#include "executor.h"

namespace ordo {

enum class Answer {
  Yes,
  No,
  Timeout,    // the deadline passed without an answer
  Cancelled,  // stop was requested
  Closed,     // the terminal hung up or reached end of input
};

// Writes "PROMPT [y/n] " ([Y/n] or [y/N] with a default) to fd and reads lines from it until
// one says y/yes or n/no (any case); an empty line takes `default_yes` when given. Input typed
// before the prompt is discarded. Other answers repeat the question. Polls fd, so it returns
// within ~100 ms of the deadline or a stop request.
Answer ask_yes_no(int fd, const std::string& prompt, std::optional<bool> default_yes,
                  std::optional<Clock::time_point> deadline, const std::stop_token& stop);

}  // namespace ordo
