// ordo's startup for the execution benchmark (run_bench.cpp): the time from fork to ordo's
// run_started and first step_started events, read from an --events file while the run goes on;
// the run is killed once its first step has started. Header-only; for the benchmarks only.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "tool_run.h"

namespace bench {

inline int64_t parse_ts_ms(const std::string& line) {  // "ts":"2026-11-26T01:02:03.456Z"
  size_t p = line.find("\"ts\":\"");
  if (p == std::string::npos) return -1;
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(line.c_str() + p + 6, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return int64_t(timegm(&tm)) * 1000 + ms;
}

// Seconds from fork to run_started and to the first step_started (-1 if not seen).
inline std::pair<double, double> ordo_startup(const std::string& ordo, const std::string& plan,
                                              const std::string& dir) {
  const std::string events = dir + "/events.jsonl", state = dir + "/startup-state";
  std::filesystem::remove(events);
  auto t0 = std::chrono::system_clock::now();
  int64_t t0_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t0.time_since_epoch()).count();
  pid_t pid = spawn({ordo, "run", plan, "-j", "2", "--state-dir", state, "--no-color",
                     "--no-report", "--events", events},
                    "", dir + "/startup.err");
  std::pair<double, double> out{-1, -1};
  for (int i = 0; i < 600000; ++i) {  // up to 10 min
    std::ifstream f(events);
    std::string line;
    while (std::getline(f, line) && !f.eof()) {
      if (line.find("\"run_started\"") != std::string::npos)
        out.first = double(parse_ts_ms(line) - t0_ms) / 1000.0;
      if (line.find("\"step_started\"") != std::string::npos) {
        out.second = double(parse_ts_ms(line) - t0_ms) / 1000.0;
        break;
      }
    }
    if (out.second >= 0) break;
    if (waitpid(pid, nullptr, WNOHANG) == pid) {  // ended before its first step
      pid = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::filesystem::remove_all(state);
  return out;
}

}  // namespace bench
