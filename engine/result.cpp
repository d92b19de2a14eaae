#include "result.h"

#include <mutex>
#include <ostream>
#include <unordered_set>

namespace ordo {

namespace {

struct InternTable {
  std::mutex mu;
  std::unordered_set<std::string> names;  // node-based: entries never move
};

// Never destroyed: FileNames in static objects may outlive any destruction order.
InternTable& intern_table() {
  static auto* table = new InternTable;
  return *table;
}

}  // namespace

const std::string* FileName::intern(std::string_view s) {
  if (s.empty()) return nullptr;
  InternTable& t = intern_table();
  std::lock_guard lock(t.mu);
  return &*t.names.emplace(s).first;
}

const std::string& FileName::empty_string() {
  static const std::string empty;
  return empty;
}

std::ostream& operator<<(std::ostream& os, const FileName& f) {
  return os << f.str();
}

std::string SourceLoc::str() const {
  if (line <= 0) return file;
  return file.str() + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string Error::str() const {
  if (loc.file.empty() && !loc.known()) return message;
  return loc.str() + ": " + message;
}

}  // namespace ordo
