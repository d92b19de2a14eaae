// StepLogSink: writes each step's full output to <steps_dir>/<step-id>.log (mode 0600), every
// attempt appended, with "ordo:" lines marking attempts, retries and the end. stdout and stderr
// lines are written as they came; executor notes (OutputStream::Info) start with "# ".
//
// The lines are formatted on the scheduler thread and written by a writer thread of its own:
// creating a file costs ~1 ms on a busy ext4 disk, which must not sit between a step's end and
// the start of the next (the journal is the durable record; the logs are for people). flush()
// (end of a scheduler turn) hands the turn's lines over, and the writer writes and fflush()es
// them at once, so `tail -f` follows a running step. Files are opened when a step starts and
// closed when it finishes (or waits to retry). drain() waits until everything handed over is
// written; the destructor drains and closes every file.
// on_event/flush/drain are called on the scheduler thread only (EventSink contract).
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "event.h"

namespace ordo {

class StepLogSink final : public EventSink {
 public:
  explicit StepLogSink(std::string steps_dir);
  StepLogSink(const StepLogSink&) = delete;
  StepLogSink& operator=(const StepLogSink&) = delete;
  ~StepLogSink() override;

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
  void add(const std::string& step, std::string text, bool close = false);
  void writer();  // the writer thread: owns files_

  std::string dir_;
  std::vector<Op> turn_;  // this turn's lines (scheduler thread)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> queue_;  // handed over, not yet written
  bool busy_ = false;     // the writer is writing a batch
  bool quit_ = false;
  std::map<std::string, std::FILE*> files_;  // writer thread only
  std::thread thread_;                       // last: started once the rest exists
};

}  // namespace ordo
