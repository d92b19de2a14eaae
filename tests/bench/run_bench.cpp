// ordo-run-bench: the execution benchmark. Writes the same graph (chain, wide, layered; N steps
// of `true` run through `/bin/sh -c`) as a build.ninja, a Makefile and an ordo plan, and times
// `ninja`, `make` and `ordo run` on it at each -j in the same run, against a floor: a plain
// fork+execve loop of `/bin/sh -c true`, N times, min(-j, the graph's width) at a time.
// A benchmark, not a test: it prints figures (median of --reps runs); targets are judged by people.
//
// Per run it records wall time, the CPU time of the tool itself and of the tool plus its children
// (/proc/PID/stat of the zombie, then wait4), and peak RSS (wait4). ordo's bytes/step is its peak
// RSS minus that of a 1-step plan, over N. `startup` is the time from fork to ordo's first
// `step_started` event (load + validate + graph + run dirs + the scheduler's first turn), taken
// in an extra run with --events that is killed once the first step has started.
//
// Usage: ordo-run-bench --ordo PATH [--ordo-alt LABEL=PATH]... [--quick | --full]
//          [--sizes 1000,10000] [--shapes chain,wide] [--jobs 1,2] [--reps 3]
//          [--state-root DIR] [--tools make,ninja|none] [--no-verify]
// How to read the output, and the latest figures: tests/bench/README.md.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_graphs.h"
#include "ordo_startup.h"
#include "tool_run.h"

namespace fs = std::filesystem;
using namespace bench;

namespace {

constexpr int kTries = 3;  // a failed run is retried up to twice; failures are listed as notes

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// The floor, run as a child of the driver: N fork+execve of /bin/sh -c true, K at a time.
int floor_main(int n, int k) {
  int running = 0;
  for (int i = 0; i < n; ++i) {
    while (running >= k) {
      int st;
      if (wait(&st) > 0) --running;
    }
    pid_t p = fork();
    if (p == 0) {
      execl("/bin/sh", "sh", "-c", "true", static_cast<char*>(nullptr));
      _exit(127);
    }
    if (p > 0) ++running;
  }
  while (running > 0) {
    int st;
    if (wait(&st) > 0) --running;
  }
  return 0;
}

// ---- The table ---------------------------------------------------------------------------

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Tool {
  std::string label;
  std::string ordo;  // empty: not an ordo
};

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

long count_lines(const std::string& path) {
  std::ifstream f(path);
  long n = 0;
  for (std::string l; std::getline(f, l);) ++n;
  return n;
}

int usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s --ordo PATH [--ordo-alt LABEL=PATH]... [--quick|--full] [--sizes ..]\n"
      "       [--shapes ..] [--jobs 1,2] [--reps 3] [--state-root DIR] [--tools make,ninja|none]\n"
      "       [--no-verify]\n",
      argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--floor")
    return floor_main(atoi(argv[2]), atoi(argv[3]));
  std::vector<Tool> ordos;
  std::vector<std::string> sizes = {"1000", "10000", "100000"};
  std::vector<std::string> shapes = {"chain", "wide", "layered"}, jobs = {"1", "2"};
  bool full = false, verify = true, shapes_given = false;
  std::vector<std::string> others = {"make", "ninja"};  // --tools: which of them to run
  int reps = 3;
  std::string state_root = fs::is_directory("/dev/shm") ? "/dev/shm" : "";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--ordo") {
      ordos.insert(ordos.begin(), Tool{"ordo", next()});
    } else if (a == "--ordo-alt") {
      const std::string v = next();
      const size_t eq = v.find('=');
      if (eq == std::string::npos || v.substr(0, eq) == "ordo") return usage(argv[0]);
      ordos.push_back(Tool{v.substr(0, eq), v.substr(eq + 1)});
    } else if (a == "--quick") {
      sizes = {"1000", "10000"};
    } else if (a == "--full") {
      full = true;
    } else if (a == "--sizes") {
      sizes = split(next());
    } else if (a == "--shapes") {
      shapes = split(next());
      shapes_given = true;  // named shapes run at every size
    } else if (a == "--jobs") {
      jobs = split(next());
    } else if (a == "--reps") {
      reps = std::max(1, atoi(next().c_str()));
    } else if (a == "--state-root") {
      state_root = next();
    } else if (a == "--tools") {
      others = split(next());
      if (others == std::vector<std::string>{"none"}) others.clear();  // ordo and the floor only
    } else if (a == "--no-verify") {
      verify = false;
    } else {
      return usage(argv[0]);
    }
  }
  if (ordos.empty() || ordos.front().label != "ordo" || ordos.front().ordo.empty())
    return usage(argv[0]);
  for (const auto& t : others)
    if (t != "make" && t != "ninja") return usage(argv[0]);
  for (auto& o : ordos) {
    o.ordo = fs::absolute(o.ordo).string();
    if (::access(o.ordo.c_str(), X_OK) != 0) {
      std::fprintf(stderr,
                   "ordo-run-bench: %s: %s (--ordo%s wants the ordo binary, e.g. "
                   "build-bench/engine/cli/ordo)\n",
                   o.ordo.c_str(), std::strerror(errno), o.label == "ordo" ? "" : "-alt");
      return 2;
    }
  }
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const fs::path dir = fs::temp_directory_path() / ("ordo-run-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string d = dir.string(), err = d + "/last.err";
  // ordo's state dirs (journal, ordo.log, one log file per step) live on tmpfs by default. On
  // ext4, deleting the last run's 100k files makes the next run's file creations scan those
  // recently deleted inodes (ext4 recently_deleted()): a cost of the benchmark, not of ordo.
  const fs::path sroot_path =
      state_root.empty() ? dir / "s" : fs::path(state_root) / dir.filename();
  fs::create_directories(sroot_path);
  const std::string sroot = sroot_path.string(), state = sroot + "/state";

  // Each tool must really run N commands: once per shape, 1000 steps that append a line.
  if (verify) {
    const std::string count = d + "/count";
    for (const auto& shape : shapes) {
      auto deps = make_graph(shape, 1000);
      const std::string cmd = "echo x >> " + count;
      write_ninja(d + "/v.ninja", deps, cmd);
      write_make(d + "/v.mk", deps, cmd);
      write_plan(d + "/v.toml", deps, cmd);
      std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
          {"ninja", {"ninja", "-f", d + "/v.ninja", "-j", "2"}},
          {"make", {"make", "-f", d + "/v.mk", "-j", "2"}}};
      for (const auto& o : ordos)
        runs.push_back({o.label,
                        {o.ordo, "run", d + "/v.toml", "-j", "2", "--state-dir", sroot + "/vstate",
                         "--no-color", "--no-report"}});
      for (const auto& [label, args] : runs) {
        fs::remove(count);
        fs::remove(d + "/.ninja_log");
        Sample s = run(args, d, err);
        long lines = count_lines(count);
        std::fprintf(stderr, "verify %-8s %-10s ran %ld of 1000 commands%s\n", shape.c_str(),
                     label.c_str(), lines, s.ok && lines == 1000 ? "" : "  <-- WRONG");
        fs::remove_all(sroot + "/vstate");
      }
    }
  }

  // 1-step baseline of each ordo's peak RSS.
  std::map<std::string, double> base_kib;
  write_plan(d + "/base.toml", make_graph("wide", 1), "true");
  for (const auto& o : ordos) {
    std::vector<double> rss;
    for (int r = 0; r < 3; ++r) {
      rss.push_back(double(run({o.ordo, "run", d + "/base.toml", "-j", "1", "--state-dir",
                                sroot + "/bstate", "--no-color", "--no-report"},
                               d, err)
                               .maxrss_kib));
      fs::remove_all(sroot + "/bstate");
    }
    base_kib[o.label] = median(rss);
  }

  std::printf("ordo-run-bench: median of %d runs; x = tool / floor (wall); load avg at start %s\n",
              reps, loadavg().c_str());
  std::printf("floor: fork+execve /bin/sh -c true, min(-j, graph width) at a time\n");
  for (const auto& o : ordos) std::printf("%s = %s\n", o.label.c_str(), o.ordo.c_str());
  std::printf("ordo state dirs under %s\n", sroot.c_str());
  std::printf("%-7s %6s %2s %8s", "shape", "N", "-j", "floor s");
  std::vector<std::string> labels = others;
  for (const auto& o : ordos) labels.push_back(o.label);
  for (const auto& l : labels) std::printf(" %16s", (l + " s (x)").c_str());
  std::printf(" %9s %8s %10s  %s\n", "ordo MiB", "B/step", "startup s", "load(1m)");
  std::fflush(stdout);

  struct CpuRow {
    std::string head;
    std::map<std::string, double> self_us, total_us;
  };
  std::vector<CpuRow> cpu_rows;
  std::vector<std::string> notes;

  for (const auto& shape : shapes) {
    for (const auto& size : sizes) {
      const int n = std::stoi(size);
      if (n >= 100000 && shape == "layered" && !full && !shapes_given) continue;
      auto deps = make_graph(shape, n);
      write_ninja(d + "/b.ninja", deps, "true");
      write_make(d + "/b.mk", deps, "true");
      write_plan(d + "/b.toml", deps, "true");
      deps.clear();
      auto [run_started, first_step] = ordo_startup(ordos.front().ordo, d + "/b.toml", sroot);
      for (const auto& j : jobs) {
        const int k = std::min(std::stoi(j), graph_width(shape, n));
        std::map<std::string, std::vector<std::string>> cmds = {
            {"floor", {self, "--floor", size, std::to_string(k)}},
            {"make", {"make", "-f", d + "/b.mk", "-j", j}},
            {"ninja", {"ninja", "-f", d + "/b.ninja", "-j", j}}};
        for (const auto& o : ordos)
          cmds[o.label] = {o.ordo,        "run", d + "/b.toml", "-j",         j,
                           "--state-dir", state, "--no-color",  "--no-report"};
        std::vector<std::string> order = {"floor"};
        order.insert(order.end(), labels.begin(), labels.end());
        std::map<std::string, std::vector<Sample>> got;
        for (int r = 0; r < reps; ++r) {
          std::rotate(order.begin(), order.begin() + 1, order.end());  // spread the load's drift
          for (const auto& t : order) {
            for (int attempt = 1; attempt <= kTries; ++attempt) {
              fs::remove(d + "/.ninja_log");
              fs::remove_all(state);
              Sample s = run(cmds[t], d, d + "/" + t + ".err");
              if (!s.ok)
                notes.push_back(shape + " " + size + " -j " + j + ": " + t + " run " +
                                std::to_string(r + 1) + " FAILED: " + s.failure +
                                (attempt < kTries ? " (retried)" : " (kept)"));
              if (s.ok || attempt == kTries) {
                got[t].push_back(s);
                break;
              }
            }
            if (t == "ordo" && r == 0) {
              size_t files = 0;
              uintmax_t bytes = 0;
              std::error_code ec;  // no state dir (the run failed early): 0 files
              for (fs::recursive_directory_iterator it(state, ec), end; !ec && it != end;
                   it.increment(ec))
                if (it->is_regular_file(ec)) ++files, bytes += it->file_size(ec);
              notes.push_back(shape + " " + size + " -j " + j + ": ordo wrote " +
                              std::to_string(files) + " files, " + std::to_string(bytes) +
                              " bytes in its state dir");
            }
          }
        }
        fs::remove_all(state);
        auto med = [&](const std::string& t, auto field) {
          std::vector<double> v;
          for (const Sample& s : got[t]) v.push_back(field(s));
          return median(v);
        };
        auto wall = [](const Sample& s) { return s.wall; };
        const double floor_s = med("floor", wall);
        std::printf("%-7s %6d %2s %8.2f", shape.c_str(), n, j.c_str(), floor_s);
        for (const auto& l : labels) {
          char cell[40];
          std::snprintf(cell, sizeof cell, "%.2f (%.2fx)", med(l, wall), med(l, wall) / floor_s);
          std::printf(" %16s", cell);
        }
        const double rss = med("ordo", [](const Sample& s) { return double(s.maxrss_kib); });
        std::printf(" %9.1f %8.0f %10.3f  %s\n", rss / 1024.0,
                    (rss - base_kib["ordo"]) * 1024.0 / n, first_step, loadavg().c_str());
        std::fflush(stdout);
        CpuRow row;
        row.head = shape + " " + size + " -j " + j;
        for (const auto& t : order) {
          row.self_us[t] = med(t, [](const Sample& s) { return s.cpu_self; }) * 1e6 / n;
          row.total_us[t] = med(t, [](const Sample& s) { return s.cpu_total; }) * 1e6 / n;
        }
        cpu_rows.push_back(row);
      }
      notes.push_back(shape + " " + size + ": ordo's startup: run_started after " +
                      std::to_string(run_started) + " s, first step_started after " +
                      std::to_string(first_step) + " s");
    }
  }

  std::printf(
      "\nCPU per step, microseconds (median): the tool's own user+sys / with its children\n");
  std::printf("%-20s %14s", "config", "floor");
  for (const auto& l : labels) std::printf(" %14s", l.c_str());
  std::printf("\n");
  for (const auto& row : cpu_rows) {
    std::printf("%-20s", row.head.c_str());
    std::vector<std::string> all = {"floor"};
    all.insert(all.end(), labels.begin(), labels.end());
    for (const auto& t : all) {
      char cell[40];
      std::snprintf(cell, sizeof cell, "%.0f / %.0f", row.self_us.at(t), row.total_us.at(t));
      std::printf(" %14s", cell);
    }
    std::printf("\n");
  }
  std::printf("\n");
  for (const auto& o : ordos)
    std::printf("%s: 1-step baseline peak RSS %.1f MiB\n", o.label.c_str(),
                base_kib[o.label] / 1024);
  for (const auto& n : notes) std::printf("%s\n", n.c_str());
  std::printf("load avg at end %s\n", loadavg().c_str());
  fs::remove_all(dir);
  fs::remove_all(sroot);
  return 0;
}
