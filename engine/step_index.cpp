// StepIndex: see step_index.h.
#include "step_index.h"

#include <functional>

namespace ordo {

StepIndex::StepIndex(const Plan& plan) : plan_(&plan) {
  size_t cap = 16;
  while (cap < 2 * plan.steps.size()) cap *= 2;  // at most half full: short probe runs
  slots_.assign(cap, 0);
  mask_ = cap - 1;
  std::hash<std::string_view> hash;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const std::string& id = plan.steps[i].id;
    uint64_t h = hash(id);
    for (size_t at = h & mask_;; at = (at + 1) & mask_) {
      uint64_t slot = slots_[at];
      if (slot == 0) {
        slots_[at] = (h >> 32 << 32) | (i + 1);
        break;
      }
      if (slot >> 32 == h >> 32 && plan.steps[(slot & 0xffffffff) - 1].id == id) break;
    }
  }
}

int StepIndex::find(std::string_view id) const {
  uint64_t h = std::hash<std::string_view>()(id);
  for (size_t at = h & mask_;; at = (at + 1) & mask_) {
    uint64_t slot = slots_[at];
    if (slot == 0) return -1;
    if (slot >> 32 != h >> 32) continue;
    int i = static_cast<int>((slot & 0xffffffff) - 1);
    if (plan_->steps[i].id == id) return i;
  }
}

}  // namespace ordo
