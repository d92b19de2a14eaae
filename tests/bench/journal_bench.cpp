// ordo-journal-bench: what durability costs. Runs chain, wide and layered plans of N `shell`
// steps (`true`, through /bin/sh -c) with the journal on a real disk, and compares with
//   floor = fork/exec floor + one fdatasync per dependency level,
// where the fork/exec floor is a plain fork+execve loop of `/bin/sh -c true`, N times,
// min(-j, the graph's width) at a time, and the fdatasync cost is measured on the same disk
// (append a line, fdatasync; median of 200). It also runs ordo with its state on tmpfs
// (/dev/shm: fdatasync costs nothing there), so `journal cost` = disk - tmpfs is the price of
// the syncs themselves. Syncs are counted by ordo (ORDO_DEBUG_SYNCS=1).
// A benchmark, not a test: it prints figures (median of --reps runs).
//
// Usage: ordo-journal-bench --ordo PATH [--disk DIR] [--jobs 2] [--reps 5]
//          [--chain 200] [--wide 200] [--layered 500]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "bench_graphs.h"
#include "child_measure.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using bench::ChildMeasure;
using bench::measure_child;
using bench::median;

using bench::kLayerWidth;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Shape {
  std::string name;
  int n = 0;
  int width() const { return bench::graph_width(name, n); }
  int levels() const {
    return name == "chain" ? n : name == "layered" ? (n + kLayerWidth - 1) / kLayerWidth : 1;
  }
};

// fork+execve of /bin/sh -c true, n times, `par` at a time. Milliseconds.
double exec_floor(int n, int par) {
  auto t0 = Clock::now();
  int running = 0, started = 0;
  while (started < n || running > 0) {
    while (running < par && started < n) {
      pid_t pid = ::fork();
      if (pid == 0) {
        char sh[] = "/bin/sh", c[] = "-c", t[] = "true";
        char* argv[] = {sh, c, t, nullptr};
        ::execv(sh, argv);
        ::_exit(127);
      }
      ++running;
      ++started;
    }
    int st = 0;
    if (::wait(&st) > 0) --running;
  }
  return ms_since(t0);
}

// The floor measured as one loop: the shape's levels in order, each level's steps forked and
// exec'd `par` at a time, then one journal-sized line appended to a file in `dir` and
// fdatasync'd. An fdatasync right after children ran costs more than the probe's alone
// (measured here: ~1.5x), so this is the floor a journaling runner can reach. Milliseconds.
double exec_sync_floor(const Shape& s, int par, const std::string& dir) {
  const std::string path = dir + "/floor-journal";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::string line(400, 'x');
  line += '\n';
  const int per = (s.n + s.levels() - 1) / s.levels();
  auto t0 = Clock::now();
  for (int done = 0; done < s.n; done += per) {
    exec_floor(std::min(per, s.n - done), par);
    if (::write(fd, line.data(), line.size()) < 0 || ::fdatasync(fd) != 0) break;
  }
  const double ms = ms_since(t0);
  ::close(fd);
  ::unlink(path.c_str());
  return ms;
}

// One fdatasync of a freshly appended line in `dir`. Median of `count`, milliseconds.
double sync_cost(const std::string& dir, int count) {
  std::string path = dir + "/sync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::vector<double> t;
  std::string line(120, 'x');
  line += '\n';
  for (int i = 0; i < count; ++i) {
    if (::write(fd, line.data(), line.size()) < 0) break;
    auto t0 = Clock::now();
    ::fdatasync(fd);
    t.push_back(ms_since(t0));
  }
  ::close(fd);
  ::unlink(path.c_str());
  return median(t);
}

struct OrdoRun {
  double ms = 0;
  int syncs = -1;
  double sync_ms = 0;   // time ordo spent in the journal's fdatasyncs
  double write_ms = 0;  // and in its write(2)s
  int rc = -1;
};

OrdoRun run_ordo(const std::string& ordo, const std::string& plan, int jobs,
                 const std::string& state, const std::string& err_file) {
  OrdoRun r;
  ChildMeasure c =
      measure_child({ordo, "run", plan, "-j", std::to_string(jobs), "--state-dir", state,
                     "--no-report", "--no-color"},
                    {.out = "/dev/null", .err = err_file, .env = {"ORDO_DEBUG_SYNCS=1"}});
  r.ms = c.wall_s * 1000.0;
  r.rc = c.exit_code();
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::smatch m;
  std::string text = ss.str();
  if (std::regex_search(
          text, m,
          std::regex("journal: ([0-9]+) fdatasyncs \\(([0-9]+) us; writes ([0-9]+) us\\)"))) {
    r.syncs = std::stoi(m[1]);
    r.sync_ms = std::stod(m[2]) / 1000.0;
    r.write_ms = std::stod(m[3]) / 1000.0;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ordo, disk = "/var/tmp";
  int jobs = 2, reps = 5;
  std::vector<Shape> shapes = {{"chain", 200}, {"wide", 200}, {"layered", 500}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--ordo")
      ordo = next();
    else if (a == "--disk")
      disk = next();
    else if (a == "--jobs")
      jobs = std::stoi(next());
    else if (a == "--reps")
      reps = std::stoi(next());
    else if (a == "--chain")
      shapes[0].n = std::stoi(next());
    else if (a == "--wide")
      shapes[1].n = std::stoi(next());
    else if (a == "--layered")
      shapes[2].n = std::stoi(next());
    else {
      std::fprintf(stderr,
                   "usage: ordo-journal-bench --ordo PATH [--disk DIR] [--jobs 2] [--reps 5]\n"
                   "         [--chain 200] [--wide 200] [--layered 500]\n");
      return 2;
    }
  }
  if (ordo.empty() || ::access(ordo.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "ordo-journal-bench: --ordo PATH to the ordo binary is required\n");
    return 2;
  }
  ordo = fs::absolute(ordo).string();
  char tmpl_disk[4096];
  std::snprintf(tmpl_disk, sizeof tmpl_disk, "%s/ordo-jbench.XXXXXX", disk.c_str());
  if (!::mkdtemp(tmpl_disk)) {
    std::perror(disk.c_str());
    return 1;
  }
  const std::string work = tmpl_disk;
  const bool shm = fs::is_directory("/dev/shm");
  const std::string tmpfs = shm ? "/dev/shm/" + fs::path(work).filename().string() : "";
  if (shm) fs::create_directories(tmpfs);

  const double t_sync = sync_cost(work, 200);
  std::printf("journal on %s; fdatasync there: %.3f ms (median of 200); -j %d; median of %d\n\n",
              work.c_str(), t_sync, jobs, reps);
  std::printf(
      "%-8s %5s %6s | %7s %7s %7s | %7s %6s %7s | %5s %5s %6s | %7s %7s %6s %6s | %7s %6s\n",
      "shape", "steps", "levels", "exec", "lvl-syn", "floor", "ordo", "/floor", "tmpfs", "syncs",
      "/step", "/level", "sync", "write", "jrnl", "/lvsyn", "floor2", "/flr2");
  for (const Shape& s : shapes) {
    if (s.n <= 0) continue;
    const std::string plan = work + "/" + s.name + ".toml";
    bench::write_plan(plan, bench::make_graph(s.name, s.n), "true", "jbench-" + s.name);
    std::vector<double> floor_exec, floor_sync, on_disk, on_tmpfs, sync_ms, write_ms;
    int syncs = -1;
    bool failed = false;
    for (int r = 0; r < reps; ++r) {
      // A new state dir per run, all removed at the end: deleting a run's files right before
      // the next run would put the deletion (on a `discard` mount, its TRIMs) into that run's
      // first file-system commits. And nothing else dirty on the disk when a timing starts.
      const std::string state = work + "/state-" + s.name + "-" + std::to_string(r);
      ::sync();
      floor_exec.push_back(exec_floor(s.n, std::min(jobs, s.width())));
      ::sync();
      floor_sync.push_back(exec_sync_floor(s, std::min(jobs, s.width()), work));
      ::sync();
      OrdoRun d = run_ordo(ordo, plan, jobs, state, work + "/err.txt");
      if (d.rc != 0) failed = true;
      on_disk.push_back(d.ms);
      sync_ms.push_back(d.sync_ms);
      write_ms.push_back(d.write_ms);
      syncs = d.syncs;
      if (shm) {
        OrdoRun t = run_ordo(ordo, plan, jobs, tmpfs + "/state", work + "/err.txt");
        fs::remove_all(tmpfs + "/state");
        on_tmpfs.push_back(t.ms);
      }
    }
    if (failed) std::printf("%s: ordo failed (see %s/err.txt)\n", s.name.c_str(), work.c_str());
    const double exec = median(floor_exec), level_syncs = s.levels() * t_sync;
    const double floor = exec + level_syncs, floor2 = median(floor_sync);
    const double disk_ms = median(on_disk), tmpfs_ms = shm ? median(on_tmpfs) : 0;
    const double sync = median(sync_ms), write = median(write_ms);
    std::printf(
        "%-8s %5d %6d | %7.1f %7.1f %7.1f | %7.1f %6.2f %7.1f | %5d %5.2f %6.2f | %7.1f %7.1f "
        "%5.1f%% %6.2f | %7.1f %6.2f\n",
        s.name.c_str(), s.n, s.levels(), exec, level_syncs, floor, disk_ms, disk_ms / floor,
        tmpfs_ms, syncs, static_cast<double>(syncs) / s.n, static_cast<double>(syncs) / s.levels(),
        sync, write, 100.0 * (sync + write) / floor, sync / level_syncs, floor2, disk_ms / floor2);
  }
  std::printf(
      "\nms. exec: the fork/exec floor; lvl-syn: levels x fdatasync; floor: exec + lvl-syn;"
      "\nordo: `ordo run` with its state (journal, logs) on disk; /floor: ordo over floor;"
      "\ntmpfs: ordo with its state on /dev/shm; syncs: the journal's fdatasyncs (the final one"
      "\nincluded), per step and per dependency level; sync, write: time ordo's scheduler thread"
      "\nspent in the journal's fdatasync(2) and write(2); jrnl: the two over floor (the target:"
      "\nwithin 10%%); /lvsyn: sync over lvl-syn (1.0: one fdatasync per level, at the probe's"
      "\ncost); floor2: the floor measured as one loop (each level's fork/execs, then a line"
      "\nappended and fdatasync'd: a sync after children ran costs more than the probe's);"
      "\n/flr2: ordo over floor2.\n");
  fs::remove_all(work);
  if (shm) fs::remove_all(tmpfs);
  return 0;
}
