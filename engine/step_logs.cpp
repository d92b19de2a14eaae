#include "step_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#include "events_json.h"

namespace ordo {

StepLogSink::~StepLogSink() {
  for (auto& [id, f] : files_) std::fclose(f);
}

std::FILE* StepLogSink::open(const std::string& step) {
  if (auto it = files_.find(step); it != files_.end()) return it->second;
  std::string path = dir_ + "/" + step + ".log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  std::FILE* f = ::fdopen(fd, "a");
  if (!f) {
    ::close(fd);
    return nullptr;
  }
  files_[step] = f;
  return f;
}

void StepLogSink::close(const std::string& step) {
  if (auto it = files_.find(step); it != files_.end()) {
    std::fclose(it->second);
    files_.erase(it);
  }
}

void StepLogSink::on_event(const Event& e) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, StepStarted>) {
          if (std::FILE* f = open(b.step))
            fmt::print(f, "ordo: {} {} attempt {} started at {}\n", b.watcher ? "watcher" : "step",
                       b.step, b.attempt, format_utc_ms(e.time));
        } else if constexpr (std::is_same_v<T, StepOutput>) {
          if (std::FILE* f = open(b.step))
            fmt::print(f, "{}{}\n", b.stream == OutputStream::Info ? "# " : "", b.line);
        } else if constexpr (std::is_same_v<T, StepWarning>) {
          if (std::FILE* f = open(b.step)) fmt::print(f, "ordo: warning: {}\n", b.message);
        } else if constexpr (std::is_same_v<T, WatcherFired>) {
          if (std::FILE* f = open(b.step)) fmt::print(f, "ordo: fired ({})\n", b.count);
        } else if constexpr (std::is_same_v<T, StepRetrying>) {
          if (std::FILE* f = open(b.step))
            fmt::print(f, "ordo: attempt {} failed: {}; retrying in {}\n", b.attempt - 1, b.message,
                       format_duration(b.wait));
          close(b.step);
        } else if constexpr (std::is_same_v<T, StepFinished>) {
          if (std::FILE* f = open(b.step))
            fmt::print(f, "ordo: {} {}{} after {}\n", b.step, step_status_name(b.status),
                       b.message.empty() ? "" : ": " + b.message, format_duration(b.duration));
          close(b.step);
        }
      },
      e.body);
}

void StepLogSink::flush() {
  for (auto& [id, f] : files_) std::fflush(f);
}

}  // namespace ordo
