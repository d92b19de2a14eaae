// StepLogSink: writes each step's full output to <steps_dir>/<step-id>.log (mode 0600), every
// attempt appended, with "ordo:" lines marking attempts, retries and the end. stdout and stderr
// lines are written as they came; executor notes (OutputStream::Info) start with "# ".
//
// The lines are formatted on the scheduler thread and written by a writer thread of its own:
// creating a file costs ~1 ms on a busy ext4 disk, which must not sit between a step's end and
// the start of the next (the journal is the durable record; the logs are for people). flush()
// (end of a scheduler turn) hands the turn's lines over. Lines of a step that is still running
// wake the writer at once, so `tail -f` follows a running step; the complete files of steps
// that ended are written in batches: the writer is woken once kBatch of them wait, and
// otherwise writes what waits every kBatchDelay (so a run of thousands of quiet steps costs no
// thread wake-up per step). A step's file is created with its first line of output, warning,
// firing or retry; it is closed when the step finishes (or waits to retry). A step that
// succeeds without having written anything gets no file at all: its start, end and duration are
// in the journal (`ordo status` shows them), and creating thousands of near-empty files cost
// 0.1-0.9 ms each on a busy ext4 disk (a 5000-step plan: 0.3-4.4 s of system time). A step
// that ends any other way (failed, timed out, cancelled) gets its start and end lines in one
// write; one still running when the run stops, its start line. A turn's lines for one step
// become one write.
// drain() waits until everything handed over is written; the destructor drains and closes
// every file.
// on_event/flush/drain are called on the scheduler thread only (EventSink contract).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "event.h"

namespace ordo {

class StepLogSink final : public EventSink {
 public:
  explicit StepLogSink(std::string steps_dir);
  StepLogSink(const StepLogSink&) = delete;
  StepLogSink& operator=(const StepLogSink&) = delete;
  ~StepLogSink() override;

  static constexpr size_t kBatch = 256;                        // ended steps' files
  static constexpr std::chrono::milliseconds kBatchDelay{20};  // at most this late

  void on_event(const Event& event) override;
  void flush() override;
  // Blocks until every line handed over by flush() is in its file.
  void drain();

 private:
  struct Op {
    std::string step;
    std::string text;    // appended to the step's file ("" for a close alone)
    bool close = false;  // then close the file
  };
  // Appends to the step's op of this turn (one write), after its held start line if any.
  void add(const std::string& step, const std::string& text, bool close = false);
  void writer();  // the writer thread: owns files_

  std::string dir_;
  std::vector<Op> turn_;                               // this turn's lines (scheduler thread)
  std::unordered_map<std::string, size_t> in_turn_;    // step -> its open op in turn_
  std::unordered_map<std::string, std::string> held_;  // started steps' first line, not yet out
  std::unordered_set<std::string> has_file_;           // steps that have written to their file

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> queue_;  // handed over, not yet written
  bool busy_ = false;     // the writer is writing a batch
  bool urgent_ = false;   // queue_ holds lines of a running step, or drain() waits
  bool quit_ = false;
  std::unordered_map<std::string, int> files_;  // writer thread only: open descriptors
  std::thread thread_;                          // last: started once the rest exists
};

}  // namespace ordo
