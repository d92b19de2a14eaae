// Registry: kind name -> Executor. Built once by the program (executors/builtin.cpp is the one
// table of built-in kinds) and then read-only; thread-safe for const use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "executor.h"

namespace ordo {

class Registry {
 public:
  void add(std::unique_ptr<Executor> executor);
  const Executor* find(std::string_view kind) const;  // nullptr if unknown
  std::vector<std::string> kinds() const;             // in registration order
  const std::vector<std::unique_ptr<Executor>>& all() const { return executors_; }

 private:
  std::vector<std::unique_ptr<Executor>> executors_;
};

}  // namespace ordo
