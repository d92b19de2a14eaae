// The benchmarks' graphs (chain, wide, layered; step i requires only steps before it) and the
// same graph written as an ordo plan, a build.ninja and a Makefile. Header-only; for the bench
// programs (run_bench.cpp, journal_bench.cpp).
#pragma once

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace bench {

constexpr int kLayerWidth = 100;  // layered: 100 steps per layer, each requiring 2 of the last

// deps[i]: the steps that step i requires, all < i.
inline std::vector<std::vector<int>> make_graph(const std::string& shape, int n) {
  std::vector<std::vector<int>> deps(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& d = deps[static_cast<size_t>(i)];
    if (shape == "chain" && i > 0) {
      d.push_back(i - 1);
    } else if (shape == "layered" && i >= kLayerWidth) {
      int start = (i / kLayerWidth - 1) * kLayerWidth;
      int a = start + i % kLayerWidth, b = start + (i * 7 + 3) % kLayerWidth;
      d.push_back(a);
      if (b != a) d.push_back(b);
    }
  }
  return deps;
}

// The most steps the graph lets run at once: the floor runs min(-j, this) at a time.
inline int graph_width(const std::string& shape, int n) {
  return shape == "chain" ? 1 : shape == "layered" ? std::min(n, kLayerWidth) : n;
}

// An ordo plan of `shell` steps running `script`.
inline void write_plan(const std::string& path, const std::vector<std::vector<int>>& deps,
                       const std::string& script, const std::string& name = "bench") {
  std::ofstream f(path);
  f << "[plan]\nname = \"" << name << "\"\n\n";
  for (size_t i = 0; i < deps.size(); ++i) {
    f << "[steps.s" << i << "]\nkind = \"shell\"\nscript = \"" << script << "\"\n";
    if (!deps[i].empty()) {
      f << "requires = [";
      for (size_t k = 0; k < deps[i].size(); ++k)
        f << (k ? ", " : "") << "\"s" << deps[i][k] << "\"";
      f << "]\n";
    }
    f << "\n";
  }
}

// ninja runs every command as `/bin/sh -c COMMAND` itself (posix_spawn), so COMMAND is `true`.
// The outputs s<i> are never written: ninja sees them missing and runs every edge each time.
inline void write_ninja(const std::string& path, const std::vector<std::vector<int>>& deps,
                        const std::string& command) {
  std::ofstream f(path);
  f << "rule r\n  command = " << command << "\n\n";
  for (size_t i = 0; i < deps.size(); ++i) {
    f << "build s" << i << ": r";
    for (int d : deps[i]) f << " s" << d;
    f << "\n";
  }
}

// GNU make execs a recipe without a shell when it has no shell metacharacter; the trailing ';'
// forces `/bin/sh -c 'true;'` so make, like the others, starts one shell per step.
inline void write_make(const std::string& path, const std::vector<std::vector<int>>& deps,
                       const std::string& recipe) {
  std::vector<char> required(deps.size(), 0);
  for (const auto& d : deps)
    for (int x : d) required[static_cast<size_t>(x)] = 1;
  std::ofstream f(path);
  f << "SHELL = /bin/sh\n.SUFFIXES:\nall:";
  for (size_t i = 0; i < deps.size(); ++i)
    if (!required[i]) f << " s" << i;
  f << "\n.PHONY: all\n\n";
  for (size_t i = 0; i < deps.size(); ++i) {
    f << ".PHONY: s" << i << "\ns" << i << ":";
    for (int d : deps[i]) f << " s" << d;
    f << "\n\t@" << recipe << ";\n";
  }
}

}  // namespace bench
