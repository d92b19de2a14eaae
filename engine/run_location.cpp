// Where runs are in the state dir: run directories, their journals, the last run of a plan.
#include <algorithm>
#include <filesystem>

#include "run_record.h"

namespace ordo {

namespace fs = std::filesystem;

std::string journal_path(const std::string& run_dir) {
  return run_dir + "/journal.jsonl";
}

std::string run_dir_of(const std::string& state_dir, const std::string& plan,
                       const std::string& run_id) {
  return state_dir + "/" + plan + "/runs/" + run_id;
}

std::vector<std::string> list_runs(const std::string& state_dir, const std::string& plan) {
  struct Entry {
    std::string id;
    fs::file_time_type mtime;
  };
  std::vector<Entry> runs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state_dir + "/" + plan + "/runs", ec)) {
    if (!e.is_directory(ec)) continue;
    runs.push_back({e.path().filename().string(), e.last_write_time(ec)});
  }
  // "20261126T010203Z-1a2b": the part before '-' is the start second.
  auto second = [](const std::string& id) { return id.substr(0, id.find('-')); };
  std::sort(runs.begin(), runs.end(), [&](const Entry& a, const Entry& b) {
    if (second(a.id) != second(b.id)) return second(a.id) < second(b.id);
    if (a.mtime != b.mtime) return a.mtime < b.mtime;
    return a.id < b.id;
  });
  std::vector<std::string> ids;
  for (Entry& e : runs) ids.push_back(std::move(e.id));
  return ids;
}

Result<RunLocation> locate_run(const std::string& state_dir, const std::string& plan,
                               const std::string& which) {
  std::error_code ec;
  // A file: a journal (its directory is the run's) or an --events file (run dir from its id).
  if (!which.empty() && fs::is_regular_file(which, ec)) {
    fs::path p(which);
    std::string dir = p.filename() == "journal.jsonl" ? p.parent_path().string() : "";
    return RunLocation{which, dir};
  }
  if (!which.empty()) {
    if (which.find('/') != std::string::npos || which.ends_with(".jsonl"))
      return make_error("no such file: " + which);
    std::string dir = run_dir_of(state_dir, plan, which);
    if (!fs::is_directory(dir, ec))
      return make_error("no run " + which + " of plan " + plan + " in " + state_dir +
                        " (looked for " + dir + ")");
    if (!fs::is_regular_file(journal_path(dir), ec))
      return make_error("run " + which + " has no journal (" + journal_path(dir) +
                        "); give the events file of that run instead (ordo run --events FILE)");
    return RunLocation{journal_path(dir), dir};
  }
  std::vector<std::string> runs = list_runs(state_dir, plan);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    std::string dir = run_dir_of(state_dir, plan, *it);
    if (fs::is_regular_file(journal_path(dir), ec)) return RunLocation{journal_path(dir), dir};
  }
  if (runs.empty())
    return make_error("no runs of plan " + plan + " in " + state_dir + " (run it first: ordo run)");
  return make_error("no run of plan " + plan + " in " + state_dir +
                    " has a journal; give an events file instead (ordo run --events FILE)");
}

}  // namespace ordo
