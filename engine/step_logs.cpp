#include "step_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#include "events_json.h"

namespace ordo {

StepLogSink::StepLogSink(std::string steps_dir)
    : dir_(std::move(steps_dir)), thread_([this] { writer(); }) {}

StepLogSink::~StepLogSink() {
  flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& [id, f] : files_) std::fclose(f);
}

void StepLogSink::add(const std::string& step, std::string text, bool close) {
  turn_.push_back(Op{step, std::move(text), close});
}

void StepLogSink::on_event(const Event& e) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, StepStarted>) {
          add(b.step,
              fmt::format("ordo: {} {} attempt {} started at {}\n", b.watcher ? "watcher" : "step",
                          b.step, b.attempt, format_utc_ms(e.time)));
        } else if constexpr (std::is_same_v<T, StepOutput>) {
          add(b.step, fmt::format("{}{}\n", b.stream == OutputStream::Info ? "# " : "", b.line));
        } else if constexpr (std::is_same_v<T, StepWarning>) {
          add(b.step, fmt::format("ordo: warning: {}\n", b.message));
        } else if constexpr (std::is_same_v<T, WatcherFired>) {
          add(b.step, fmt::format("ordo: fired ({})\n", b.count));
        } else if constexpr (std::is_same_v<T, StepRetrying>) {
          add(b.step,
              fmt::format("ordo: attempt {} failed: {}; retrying in {}\n", b.attempt - 1, b.message,
                          format_duration(b.wait)),
              /*close=*/true);
        } else if constexpr (std::is_same_v<T, StepFinished>) {
          add(b.step,
              fmt::format("ordo: {} {}{} after {}\n", b.step, step_status_name(b.status),
                          b.message.empty() ? "" : ": " + b.message, format_duration(b.duration)),
              /*close=*/true);
        }
      },
      e.body);
}

void StepLogSink::flush() {
  if (turn_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Op& op : turn_) queue_.push_back(std::move(op));
  }
  turn_.clear();
  cv_.notify_all();
}

void StepLogSink::drain() {
  flush();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void StepLogSink::writer() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // quit_, and everything written
    std::deque<Op> batch;
    batch.swap(queue_);
    busy_ = true;
    lock.unlock();
    std::map<std::string, std::FILE*> touched;
    for (Op& op : batch) {
      std::FILE* f = nullptr;
      if (auto it = files_.find(op.step); it != files_.end()) {
        f = it->second;
      } else {
        std::string path = dir_ + "/" + op.step + ".log";
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) f = ::fdopen(fd, "a");
        if (!f && fd >= 0) ::close(fd);
        if (f) files_[op.step] = f;
      }
      if (!f) continue;  // cannot write this log: the journal still has the record
      std::fwrite(op.text.data(), 1, op.text.size(), f);
      touched[op.step] = f;
      if (op.close) {
        std::fclose(f);
        files_.erase(op.step);
        touched.erase(op.step);
      }
    }
    for (auto& [id, f] : touched) std::fflush(f);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace ordo
