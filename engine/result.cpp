#include "result.h"

namespace ordo {

std::string SourceLoc::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string Error::str() const {
  if (loc.file.empty() && !loc.known()) return message;
  return loc.str() + ": " + message;
}

}  // namespace ordo
