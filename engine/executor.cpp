#include "executor.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace ordo {

const char* outcome_status_name(Outcome::Status s) {
  switch (s) {
    case Outcome::Status::Succeeded:
      return "succeeded";
    case Outcome::Status::Failed:
      return "failed";
    case Outcome::Status::TimedOut:
      return "timed_out";
    case Outcome::Status::Cancelled:
      return "cancelled";
  }
  return "?";
}

std::string StepContext::expand_path(std::string_view p) const {
  if (p.empty() || p[0] != '~') return std::string(p);
  if (p.size() > 1 && p[1] != '/') return std::string(p);  // ~other: left alone
  std::string home = run_as.home;
  if (home.empty()) {
    if (const char* h = std::getenv("HOME"))
      home = h;
    else if (const passwd* pw = ::getpwuid(::getuid()))
      home = pw->pw_dir;
  }
  return home + std::string(p.substr(1));
}

}  // namespace ordo
