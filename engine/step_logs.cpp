#include "step_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/core.h>

#include "events_json.h"

namespace ordo {
namespace {

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // cannot write this log: the journal still has the record
    done += static_cast<size_t>(n);
  }
}

}  // namespace

StepLogSink::StepLogSink(std::string steps_dir)
    : dir_(std::move(steps_dir)), thread_([this] { writer(); }) {}

StepLogSink::~StepLogSink() {
  std::vector<std::string> started;  // started, never finished: their start lines go out
  for (const auto& [step, text] : held_) started.push_back(step);
  for (const std::string& step : started) add(step, "");
  flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& [id, fd] : files_) ::close(fd);
}

void StepLogSink::add(const std::string& step, const std::string& text, bool close) {
  auto it = in_turn_.find(step);
  if (it == in_turn_.end() || turn_[it->second].close) {
    turn_.push_back(Op{step, {}, false});
    it = in_turn_.insert_or_assign(step, turn_.size() - 1).first;
  }
  Op& op = turn_[it->second];
  if (op.text.empty()) has_file_.insert(step);
  if (auto h = held_.find(step); h != held_.end()) {
    op.text += h->second;
    held_.erase(h);
  }
  op.text += text;
  op.close = close;
}

void StepLogSink::on_event(const Event& e) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, StepStarted>) {
          // Held until the step prints something or ends (see the header).
          held_[b.step] +=
              fmt::format("ordo: {} {} attempt {} started at {}\n", b.watcher ? "watcher" : "step",
                          b.step, b.attempt, format_utc_ms(e.time));
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
          if (b.status == StepStatus::Succeeded && !has_file_.count(b.step)) {
            held_.erase(b.step);  // quiet and succeeded: no file (see the header)
            return;
          }
          add(b.step,
              fmt::format("ordo: {} {}{} after {}\n", b.step, step_status_name(b.status),
                          b.message.empty() ? "" : ": " + b.message, format_duration(b.duration)),
              /*close=*/true);
        }
      },
      e.body);
}

void StepLogSink::flush() {
  in_turn_.clear();
  if (turn_.empty()) return;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool was_urgent = urgent_;
    const size_t before = queue_.size();
    for (Op& op : turn_) {
      if (!op.close) urgent_ = true;  // a running step's lines: tail -f follows them
      queue_.push_back(std::move(op));
    }
    // Wake the writer when the queue was empty (it then waits for a batch), became urgent or
    // became full; not once per step.
    wake = before == 0 || (urgent_ && !was_urgent) || (before < kBatch && queue_.size() >= kBatch);
  }
  turn_.clear();
  if (wake) cv_.notify_all();
}

void StepLogSink::drain() {
  flush();
  std::unique_lock<std::mutex> lock(mu_);
  urgent_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void StepLogSink::writer() {
  std::unique_lock<std::mutex> lock(mu_);
  std::string path;
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || !queue_.empty(); });
    // Ended steps' files only: wait for more of them (or something urgent), at most kBatchDelay.
    cv_.wait_for(lock, kBatchDelay, [&] { return quit_ || urgent_ || queue_.size() >= kBatch; });
    if (queue_.empty()) return;  // quit_, and everything written
    std::deque<Op> batch;
    batch.swap(queue_);
    urgent_ = false;
    busy_ = true;
    lock.unlock();
    for (Op& op : batch) {
      int fd = -1;
      auto it = files_.find(op.step);
      if (it != files_.end()) {
        fd = it->second;
      } else {
        path.assign(dir_).append("/").append(op.step).append(".log");
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) continue;  // cannot write this log: the journal still has the record
        if (!op.close) it = files_.emplace(op.step, fd).first;
      }
      write_all(fd, op.text);
      if (op.close) {
        ::close(fd);
        if (it != files_.end()) files_.erase(it);
      }
    }
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace ordo
