#include "process_outcome.h"

#include <utility>

namespace ordo {

ProcessSpec command_spec(const StepContext& ctx, std::vector<std::string> argv, Echo echo) {
  ProcessSpec spec = step_process_spec(ctx, std::move(argv));
  spec.capture_stderr = true;
  if (echo == Echo::StderrOnly)
    spec.on_line = [&ctx](OutputStream s, std::string_view line) {
      if (s == OutputStream::Stderr) ctx.output(s, line);
    };
  else if (echo == Echo::None)
    spec.on_line = nullptr;
  return spec;
}

bool command_ok(const ProcessResult& r) {
  return r.started && !r.timed_out && !r.cancelled && r.signal == 0 && r.wait_error.empty() &&
         r.exit_code == 0;
}

namespace {
std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}
}  // namespace

std::string error_line(std::string_view text) {
  // Tier 0: "ERROR: ..." / "Error: ..." / "FATAL: ..." (pip, pg_dump, psql say the cause so);
  // tier 1: "error...", "fatal...", "Failed..." (often a summary such as pip's
  // "error: subprocess-exited-with-error"); tier 2: the last non-empty line.
  std::string_view best[3];
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    best[2] = line;
    for (std::string_view p : {"ERROR:", "Error:", "FATAL:"})
      if (best[0].empty() && line.starts_with(p)) best[0] = line;
    for (std::string_view p : {"error", "fatal", "Failed", "ERROR", "FATAL"})
      if (best[1].empty() && line.starts_with(p)) best[1] = line;
  }
  for (std::string_view b : best)
    if (!b.empty()) return std::string(b);
  return "";
}

Outcome command_failure(const StepContext& ctx, const ProcessResult& r, Clock::time_point started,
                        std::string_view what) {
  Outcome o = step_outcome(ctx, r, started);
  o.outputs.clear();
  if (o.status == Outcome::Status::Succeeded) o.status = Outcome::Status::Failed;  // not REQUIRES
  std::string detail = o.message;
  if (o.status == Outcome::Status::Failed && r.started) {
    std::string line = error_line(r.stderr_text);
    if (line.empty()) line = error_line(r.stdout_text);
    if (!line.empty()) detail += ": " + line;
  }
  if (o.status == Outcome::Status::Failed)
    o.message = std::string(what) + " failed: " + detail;
  else
    o.message = detail + " (during " + std::string(what) + ")";
  return o;
}

Outcome step_timed_out(const StepContext& ctx, Clock::time_point started, std::string_view detail) {
  Outcome o;
  o.status = Outcome::Status::TimedOut;
  Millis t =
      std::chrono::duration_cast<Millis>((ctx.deadline ? *ctx.deadline : Clock::now()) - started);
  const int64_t unit = t < Millis(1000) ? 10 : 100;  // as step_outcome rounds it
  t = Millis((t.count() + unit - 1) / unit * unit);
  o.message = "timed out after " + format_duration(t) + " (" + std::string(detail) + ")";
  return o;
}

Outcome step_cancelled(std::string_view detail) {
  Outcome o;
  o.status = Outcome::Status::Cancelled;
  o.message = "cancelled (" + std::string(detail) + ")";
  return o;
}

bool deadline_passed(const StepContext& ctx) {
  return ctx.deadline && Clock::now() >= *ctx.deadline;
}

}  // namespace ordo
