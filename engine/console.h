// ConsoleSink: what a person watching `ordo run` sees, built from the event stream.
//
// Live mode (a colour terminal): one line per running step (spinner, id, elapsed time, its last
// output line) redrawn in place below the finished steps, which scroll above with ✓ / ✗ / –
// marks and durations. Plain mode (a pipe, NO_COLOR, --no-color): one timestamped line per
// event, e.g. "12:00:03 ok    backup-db (2.1s)", "12:00:03 FAIL  pip-indico: exit code 1".
// Step output is not echoed in plain mode (it is in each step's log file); the last lines of a
// failed step are shown in the summary.
// At the end, a summary: counts per outcome, the root-cause failures (with the last lines of
// their output) apart from what was skipped because of them, and where the logs are.
//
// Called on the scheduler thread only (EventSink contract); not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "event.h"

namespace ordo {

struct ConsoleOptions {
  bool live = false;                               // redraw running steps in place (a terminal)
  bool color = false;                              // ANSI colours and ✓ ✗ marks
  std::function<int()> width = [] { return 80; };  // terminal columns, asked at each redraw
  std::string logs_dir;   // the run's directory, named in the summary ("": not named)
  size_t tail_lines = 8;  // output lines kept per step for the failure summary
  // Wall-clock time as "HH:MM:SS" for plain lines. Default: local time.
  std::function<std::string(std::chrono::system_clock::time_point)> clock_text;
};

class ConsoleSink final : public EventSink {
 public:
  ConsoleSink(std::ostream& out, ConsoleOptions options);
  void on_event(const Event& event) override;
  void on_tick(std::chrono::system_clock::time_point now, Millis mono) override;
  void flush() override;

 private:
  struct StepView {
    Millis started{0};
    bool watcher = false;
    bool owns_terminal = false;  // a `confirm` gate: it talks to the terminal itself
    std::string last_line;
    std::vector<std::string> tail;  // the last tail_lines lines (a deque allocates when empty)
    std::string status;             // "" while unknown
    std::string message;            // failure message or skip reason
    std::string cause;              // skips: the root-cause step
    SkipKind skip_kind = SkipKind::NotApplicable;
  };

  // One finished-event line: above the live area, or timestamped in plain mode.
  void line(const Event& e, const std::string& tag, const std::string& color,
            const std::string& text);
  void clear_live();
  void draw_live(Millis mono);
  bool paused() const;  // a running step owns the terminal: no live area
  void summary(const RunFinished& f);
  std::string paint(const std::string& color, const std::string& text) const;

  std::ostream& out_;
  ConsoleOptions opt_;
  // Running steps and settled ones the summary may name; a step that succeeded is dropped.
  std::map<std::string, StepView> steps_;
  std::vector<std::string> running_;  // in start order
  std::vector<std::string> order_;    // declaration order (from RunStarted)
  int live_lines_ = 0;
  Millis last_draw_{-1000};
};

// Output text made safe for one terminal line: escape sequences and control characters
// removed, tabs as spaces.
std::string sanitize_line(std::string_view s);
// Truncates to `cols` columns (UTF-8 aware), ending in "…" when cut.
std::string fit_columns(const std::string& s, int cols);

}  // namespace ordo
