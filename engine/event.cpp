#include "event.h"

namespace ordo {

const char* step_status_name(StepStatus s) {
  switch (s) {
    case StepStatus::Succeeded:
      return "succeeded";
    case StepStatus::Failed:
      return "failed";
    case StepStatus::TimedOut:
      return "timed_out";
    case StepStatus::Cancelled:
      return "cancelled";
    case StepStatus::Skipped:
      return "skipped";
  }
  return "?";
}

StepStatus step_status_of(Outcome::Status s) {
  switch (s) {
    case Outcome::Status::Succeeded:
      return StepStatus::Succeeded;
    case Outcome::Status::Failed:
      return StepStatus::Failed;
    case Outcome::Status::TimedOut:
      return StepStatus::TimedOut;
    case Outcome::Status::Cancelled:
      return StepStatus::Cancelled;
  }
  return StepStatus::Failed;
}

const char* skip_kind_name(SkipKind k) {
  switch (k) {
    case SkipKind::NotApplicable:
      return "not_applicable";
    case SkipKind::Blocked:
      return "blocked";
    case SkipKind::NotReached:
      return "not_reached";
  }
  return "?";
}

const char* run_outcome_name(RunOutcome o) {
  switch (o) {
    case RunOutcome::Succeeded:
      return "succeeded";
    case RunOutcome::Failed:
      return "failed";
    case RunOutcome::Refused:
      return "refused";
    case RunOutcome::Interrupted:
      return "interrupted";
  }
  return "?";
}

const char* output_stream_name(OutputStream s) {
  switch (s) {
    case OutputStream::Stdout:
      return "stdout";
    case OutputStream::Stderr:
      return "stderr";
    case OutputStream::Info:
      return "info";
  }
  return "?";
}

const char* event_type_name(const EventBody& body) {
  struct Namer {
    const char* operator()(const RunStarted& b) const {
      return b.resume ? "run_resumed" : "run_started";
    }
    const char* operator()(const StepStarted&) const { return "step_started"; }
    const char* operator()(const StepOutput&) const { return "step_output"; }
    const char* operator()(const StepWarning&) const { return "step_warning"; }
    const char* operator()(const WatcherFired&) const { return "watcher_fired"; }
    const char* operator()(const StepRetrying&) const { return "step_retrying"; }
    const char* operator()(const StepFinished&) const { return "step_finished"; }
    const char* operator()(const StepSkipped&) const { return "step_skipped"; }
    const char* operator()(const RunAborting&) const { return "run_aborting"; }
    const char* operator()(const RunFinished&) const { return "run_finished"; }
  };
  return std::visit(Namer{}, body);
}

void FanOut::on_event(const Event& event) {
  for (EventSink* s : sinks_) s->on_event(event);
}

void FanOut::on_tick(std::chrono::system_clock::time_point now, Millis mono) {
  for (EventSink* s : sinks_) s->on_tick(now, mono);
}

void FanOut::flush() {
  for (size_t i = 0; i < sinks_.size(); ++i)
    if (!late_[i]) sinks_[i]->flush();
}

void FanOut::after_launch() {
  for (size_t i = 0; i < sinks_.size(); ++i) {
    if (late_[i]) sinks_[i]->flush();
    sinks_[i]->after_launch();
  }
}

void FanOut::sync() {
  for (EventSink* s : sinks_) s->sync();
}

}  // namespace ordo
