// ordo-bench: generates plans of 1k, 10k and 100k steps (chain, wide, layered) and measures
// what the `ordo` binary takes to load, validate and print them as DOT (wall time, peak RSS).
// A benchmark, not a test: it prints figures; targets are judged by people, not asserts.
//
// Usage: ordo-bench ORDO_BINARY [--sizes 1000,10000,100000] [--shapes chain,wide,layered]
//                   [--reps 3] [--keep DIR]
// Each figure is the median of --reps runs (the machine is shared: CPU time is the stable one).
// --keep DIR writes the plans into DIR and leaves them there (for profiling one of them).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

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

struct Measure {
  double seconds = 0;
  double cpu_seconds = 0;  // user + sys of the child: what the machine's load cannot inflate
  long max_rss_kib = 0;
  int status = 0;
};

Measure run_once(const std::vector<std::string>& argv) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.max_rss_kib = ru.ru_maxrss;
  m.cpu_seconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  m.status = status;
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The median of reps runs, field by field (wall, CPU and RSS each their own median); the
// status of the first failed run, if any.
Measure run(const std::vector<std::string>& argv, int reps) {
  std::vector<double> wall, cpu, rss;
  Measure out;
  for (int i = 0; i < reps; ++i) {
    Measure m = run_once(argv);
    wall.push_back(m.seconds);
    cpu.push_back(m.cpu_seconds);
    rss.push_back(double(m.max_rss_kib));
    if (m.status != 0 && out.status == 0) out.status = m.status;
  }
  out.seconds = median(wall);
  out.cpu_seconds = median(cpu);
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
  Measure base = run({ordo, "graph", (dir / "base.toml").string(), "--format", "dot"}, reps);

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
      Measure m = run({ordo, "graph", path, "--format", "dot"}, reps);
      double per_step = double(m.max_rss_kib - base.max_rss_kib) * 1024.0 / n;
      std::printf("%-8s %8d %10.3f %10.3f %10.1f %12.0f %10s\n", shape.c_str(), n, m.seconds,
                  m.cpu_seconds, m.max_rss_kib / 1024.0, per_step,
                  WIFEXITED(m.status) && WEXITSTATUS(m.status) == 0 ? "ok" : "FAILED");
      std::fflush(stdout);
    }
  }
  if (keep.empty()) std::filesystem::remove_all(dir);
  return 0;
}
