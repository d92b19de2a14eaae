// StepIndex: step id -> index into Plan::steps, for plans of any size (Plan::step_index is a
// linear search). An open-addressing table of (hash, index) pairs, 16 bytes per step, no
// allocation per id; it borrows the ids, so the Plan must outlive it and keep its steps.
// With duplicate ids the first one wins. Immutable after construction; thread-safe for const
// use.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "plan.h"

namespace ordo {

class StepIndex {
 public:
  explicit StepIndex(const Plan& plan);
  int find(std::string_view id) const;  // -1 if unknown

 private:
  const Plan* plan_;
  std::vector<uint64_t> slots_;  // (hash >> 32) << 32 | (index + 1); 0 = empty
  size_t mask_ = 0;
};

}  // namespace ordo
