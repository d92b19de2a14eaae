#include "registry.h"

namespace ordo {

void Registry::add(std::unique_ptr<Executor> executor) {
  executors_.push_back(std::move(executor));
}

const Executor* Registry::find(std::string_view kind) const {
  for (const auto& e : executors_)
    if (e->spec().kind == kind) return e.get();
  return nullptr;
}

std::vector<std::string> Registry::kinds() const {
  std::vector<std::string> out;
  for (const auto& e : executors_) out.push_back(e->spec().kind);
  return out;
}

}  // namespace ordo
