// StepLogSink: writes each step's full output to <steps_dir>/<step-id>.log (mode 0600), every
// attempt appended, with "ordo:" lines marking attempts, retries and the end. stdout and stderr
// lines are written as they came; executor notes (OutputStream::Info) start with "# ".
// Files are opened when a step starts and closed when it finishes; buffers are flushed at the
// end of each scheduler turn, so `tail -f` follows a running step.
// Called on the scheduler thread only (EventSink contract); not thread-safe.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "event.h"

namespace ordo {

class StepLogSink final : public EventSink {
 public:
  explicit StepLogSink(std::string steps_dir) : dir_(std::move(steps_dir)) {}
  StepLogSink(const StepLogSink&) = delete;
  StepLogSink& operator=(const StepLogSink&) = delete;
  ~StepLogSink() override;

  void on_event(const Event& event) override;
  void flush() override;

 private:
  std::FILE* open(const std::string& step);
  void close(const std::string& step);

  std::string dir_;
  std::map<std::string, std::FILE*> files_;
};

}  // namespace ordo
