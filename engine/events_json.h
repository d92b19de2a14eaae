// The JSON-lines form of events (format v1, documented in events-format.md): one object per
// line, `{"v":1,"t":"step_finished","ts":"...","mono_ms":123,...}`. Used by `--events FILE`;
// the journal will write the same records.
// JsonLinesSink is called on the scheduler thread only (EventSink contract); not thread-safe.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "event.h"

namespace ordo {

inline constexpr int kEventsFormatVersion = 1;

// One event as one line of JSON, without the newline. Invalid UTF-8 in output lines is
// replaced (U+FFFD), never an error. The per-step records (step_started, step_output,
// step_warning, step_retrying, step_finished, step_skipped) are written directly, the others
// through a JSON document; append_event_json appends the same bytes to `out`.
std::string event_to_json(const Event& event);
void append_event_json(std::string& out, const Event& event);
// Every event through a JSON document (nlohmann): the reference the direct writer must match
// byte for byte (tests compare them), and the writer of the rare records.
std::string event_to_json_generic(const Event& event);

// "2026-11-26T01:02:03.456Z"
std::string format_utc_ms(std::chrono::system_clock::time_point t);

// Writes each event as a line to `out` (not owned); flush() flushes the stream.
class JsonLinesSink final : public EventSink {
 public:
  explicit JsonLinesSink(std::ostream& out) : out_(out) {}
  void on_event(const Event& event) override;
  void flush() override { out_.flush(); }

 private:
  std::ostream& out_;
  std::string line_;  // reused for each record
};

}  // namespace ordo
