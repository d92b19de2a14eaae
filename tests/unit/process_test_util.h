// Helpers shared by run_process's tests (test_process_*.cpp): the lines a process printed, per
// stream, and a ProcessSpec running a shell script. Header-only; for tests only. Not
// thread-safe: a Lines is filled by the one thread that runs the process.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "process.h"

namespace process_test {

// Lines as run_process delivers them, per stream.
struct Lines {
  std::vector<std::string> out, err;
  size_t out_bytes = 0, err_bytes = 0;  // line bytes + 1 per newline
  std::function<void(ordo::OutputStream, std::string_view)> sink() {
    return [this](ordo::OutputStream s, std::string_view l) {
      if (s == ordo::OutputStream::Stderr) {
        err.emplace_back(l);
        err_bytes += l.size() + 1;
      } else {
        out.emplace_back(l);
        out_bytes += l.size() + 1;
      }
    };
  }
};

// `sh -c script`.
inline ordo::ProcessSpec sh(const std::string& script) {
  ordo::ProcessSpec s;
  s.argv = {"sh", "-c", script};
  return s;
}

}  // namespace process_test
