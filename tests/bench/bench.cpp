// ordo-bench: generates plans of 1k, 10k and 100k steps (chain, wide, layered) and measures
// what the `ordo` binary takes to load, validate and print them as DOT (wall time, peak RSS).
// A benchmark, not a test: it prints figures; targets are judged by people, not asserts.
//
// Usage: ordo-bench ORDO_BINARY [--sizes 1000,10000,100000] [--shapes chain,wide,layered]
//                   [--reps 3] [--keep DIR]
// Each figure is the median of --reps runs (the machine is shared: CPU time is the stable one).
// --keep DIR writes the plans into DIR and leaves them there (for profiling one of them).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "child_measure.h"

namespace {

using bench::ChildMeasure;
using bench::measure_child;
using bench::median;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// Writes a plan of n `shell` steps running `true` in the given shape.
void write_plan(const std::string& path, const std::string& shape, int n) {
  std::ofstream f(path);
  f << "[plan]\nname = \"bench-" << shape << "\"\n\n";
  const int width = 100;  // layered: 100 steps per layer, each requiring 2 of the layer before
  for (int i = 0; i < n; ++i) {
    f << "[steps.s" << i << "]\nkind = \"shell\"\nscript = \"true\"\n";
    if (shape == "chain" && i > 0) {
      f << "requires = [\"s" << i - 1 << "\"]\n";
    } else if (shape == "layered" && i >= width) {
      int layer_start = (i / width - 1) * width;
      int a = layer_start + (i % width), b = layer_start + ((i * 7 + 3) % width);
      f << "requires = [\"s" << a << "\"";
      if (b != a) f << ", \"s" << b << "\"";
      f << "]\n";
    }
    f << "\n";
  }
}

// The median of reps runs (stdout to /dev/null), field by field (wall, CPU and RSS each their
// own median); the status of the first failed run, if any.
ChildMeasure run(const std::vector<std::string>& argv, int reps) {
  std::vector<double> wall, cpu, rss;
  ChildMeasure out;
  for (int i = 0; i < reps; ++i) {
    ChildMeasure m = measure_child(argv);
    wall.push_back(m.wall_s);
    cpu.push_back(m.cpu_s);
    rss.push_back(double(m.max_rss_kib));
    if (m.status != 0 && out.status == 0) out.status = m.status;
  }
  out.wall_s = median(wall);
  out.cpu_s = median(cpu);
  out.max_rss_kib = long(median(rss));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s ORDO_BINARY [--sizes 1000,10000,100000] [--shapes ...] [--reps 3] "
                 "[--keep DIR]\n",
                 argv[0]);
    return 2;
  }
  std::string ordo = argv[1];
  std::vector<std::string> sizes = {"1000", "10000", "100000"};
  std::vector<std::string> shapes = {"chain", "wide", "layered"};
  int reps = 3;
  std::string keep;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--sizes")
      sizes = split(argv[i + 1]);
    else if (a == "--shapes")
      shapes = split(argv[i + 1]);
    else if (a == "--reps")
      reps = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--keep")
      keep = argv[i + 1];
  }
  auto dir = keep.empty() ? std::filesystem::temp_directory_path() /
                                ("ordo-bench-" + std::to_string(getpid()))
                          : std::filesystem::path(keep);
  std::filesystem::create_directories(dir);

  // Baseline: the RSS of ordo on a 1-step plan, subtracted to get memory per step.
  write_plan((dir / "base.toml").string(), "wide", 1);
  ChildMeasure base = run({ordo, "graph", (dir / "base.toml").string(), "--format", "dot"}, reps);

  std::printf("load + validate + graph + DOT (ordo graph --format dot > /dev/null)\n");
  double load[3] = {0, 0, 0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf(
      "(median of %d runs; load average at start: %.2f; wall time suffers from other "
      "load, CPU time less)\n",
      reps, load[0]);
  std::printf("%-8s %8s %10s %10s %10s %12s %10s\n", "shape", "steps", "wall s", "cpu s",
              "peak MiB", "bytes/step", "status");
  for (const auto& shape : shapes) {
    for (const auto& size : sizes) {
      int n = std::stoi(size);
      std::string path = (dir / (shape + "-" + size + ".toml")).string();
      write_plan(path, shape, n);
      ChildMeasure m = run({ordo, "graph", path, "--format", "dot"}, reps);
      double per_step = double(m.max_rss_kib - base.max_rss_kib) * 1024.0 / n;
      std::printf("%-8s %8d %10.3f %10.3f %10.1f %12.0f %10s\n", shape.c_str(), n, m.wall_s,
                  m.cpu_s, m.max_rss_kib / 1024.0, per_step, m.ok() ? "ok" : "FAILED");
      std::fflush(stdout);
    }
  }
  if (keep.empty()) std::filesystem::remove_all(dir);
  return 0;
}
