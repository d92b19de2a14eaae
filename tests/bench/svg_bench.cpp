// ordo-svg-bench: how long `ordo graph --format svg` takes on a big plan. Generates a layered
// plan (default 2,000 steps, 40 per layer, each requiring 2 of the layer before, every step
// tagged with its part "part0".."part7", a lock-watchdog watching two steps and one step it
// triggers), then times pictures of it, each the median of 3 runs: the whole plan, three tags
// collapsed, --focus on a middle step (alone and with a tag collapsed), and the whole of the
// same plan with more edges that each skip 4 layers.
// With --default-layout also times Graphviz's `dot -Tsvg` on the whole plan's DOT without the
// fast-layout settings ordo adds above kLargeGraphNodes (once: it takes minutes).
// A benchmark, not a test: it prints figures and never asserts a time.
//
// Usage: ordo-svg-bench ORDO_BINARY [--steps N] [--default-layout]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_measure.h"

namespace {

using bench::ChildMeasure;
using bench::measure_child;
using bench::median;

constexpr int kWidth = 40;  // steps per layer

// `skip`: each step past layer 5 also requires one of 5 layers before (edges that skip ranks,
// the hardest case for dot's x placement found so far).
void write_plan(const std::string& path, int n, bool skip) {
  std::ofstream f(path);
  f << "[plan]\nname = \"svg-bench\"\ndescription = \"generated layered plan\"\n\n";
  for (int i = 0; i < n; ++i) {
    f << "[steps.s" << i << "]\nkind = \"noop\"\n";
    f << "description = \"step " << i << " of layer " << i / kWidth << "\"\n";
    f << "tags = [\"part" << (i * 8 / n) << "\"]\n";
    if (i >= kWidth) {
      int start = (i / kWidth - 1) * kWidth;
      int a = start + i % kWidth, b = start + (i * 7 + 3) % kWidth;
      f << "requires = [\"s" << a << "\"";
      if (b != a) f << ", \"s" << b << "\"";
      if (skip && i >= 5 * kWidth)
        f << ", \"s" << (i / kWidth - 5) * kWidth + (i * 3 + 1) % kWidth << "\"";
      f << "]\n";
    }
    f << "\n";
  }
  f << "[steps.lock-watch]\nkind = \"lock-watchdog\"\ndsn = \"postgresql:///x\"\n"
       "threshold = \"5s\"\nwatches = [\"s"
    << n / 2 << "\", \"s" << n / 2 + 1 << "\"]\ntags = [\"part0\"]\n\n";
  f << "[steps.unblock]\nkind = \"noop\"\ntriggered_by = [\"lock-watch\"]\n";
}

// Runs argv with stdout to `out` (or /dev/null) and stderr to /dev/null. cpu_s: user + sys of
// ordo and the `dot` it waits for.
ChildMeasure run(const std::vector<std::string>& argv, const std::string& out = "/dev/null") {
  return measure_child(argv, {.out = out, .err = "/dev/null", .env = {}});
}

size_t file_size(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<size_t>(n);
}

double load_average() {
  double load = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ORDO_BINARY [--steps N] [--default-layout]\n", argv[0]);
    return 2;
  }
  std::string ordo = argv[1];
  int steps = 2000;
  bool default_layout = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    if (a == "--default-layout") default_layout = true;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("ordo-svg-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string plan = (dir / "plan.toml").string();
  std::string svg = (dir / "out.svg").string();
  write_plan(plan, steps, false);
  std::string skip_plan = (dir / "skip.toml").string();
  write_plan(skip_plan, steps, true);

  std::printf(
      "ordo graph --format svg on a generated layered plan: %d steps + a watcher and the "
      "step it triggers, %d per layer, 8 tags\n",
      steps, kWidth);
  std::printf(
      "median of 3 runs; load average at start %.2f (wall time suffers from other load, "
      "CPU time less)\n",
      load_average());
  std::printf("%-52s %8s %8s %8s %10s %6s\n", "picture", "wall s", "cpu s", "max wall", "SVG bytes",
              "status");
  std::string middle = "s" + std::to_string(steps / 2);
  struct Case {
    const char* name;
    std::vector<std::string> extra;
  };
  std::vector<Case> cases = {
      {"whole plan", {}},
      {"--collapse part0 --collapse part1 --collapse part2",
       {"--collapse", "part0", "--collapse", "part1", "--collapse", "part2"}},
      {"--focus (middle step) --depth 2", {"--focus", middle, "--depth", "2"}},
      {"--focus (middle step) --depth 2 --collapse part4",
       {"--focus", middle, "--depth", "2", "--collapse", "part4"}},
      {"whole plan, + edges skipping 4 layers", {}},
  };
  for (const Case& c : cases) {
    bool skip = c.name == cases.back().name;
    std::vector<std::string> args = {ordo, "graph", skip ? skip_plan : plan, "--format", "svg",
                                     "-o", svg};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    std::vector<double> wall, cpu;
    bool ok = true;
    for (int r = 0; r < 3; ++r) {
      ChildMeasure m = run(args);
      wall.push_back(m.wall_s);
      cpu.push_back(m.cpu_s);
      ok = ok && m.ok();
    }
    std::printf("%-52s %8.2f %8.2f %8.2f %10zu %6s\n", c.name, median(wall), median(cpu),
                *std::max_element(wall.begin(), wall.end()), file_size(svg), ok ? "ok" : "FAILED");
    std::fflush(stdout);
  }

  if (default_layout) {
    // The same DOT without the lines ordo adds for big graphs (nslimit, nslimit1, mclimit).
    std::string dot = (dir / "plan.dot").string(), plain = (dir / "plain.dot").string();
    run({ordo, "graph", plan, "--format", "dot"}, dot);
    std::ifstream in(dot);
    std::ofstream outf(plain);
    for (std::string line; std::getline(in, line);)
      if (line.find("nslimit") == std::string::npos && line.find("mclimit") == std::string::npos)
        outf << line << "\n";
    outf.close();
    ChildMeasure m = run({"dot", "-Tsvg", plain});
    std::printf("%-52s %8.2f %8.2f %8s %10s %6s\n", "dot -Tsvg, Graphviz's default layout limits",
                m.wall_s, m.cpu_s, "(1 run)", "", m.ok() ? "ok" : "FAILED");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
