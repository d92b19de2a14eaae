#include "console.h"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>

namespace ordo {
namespace {

const char* kGreen = "\x1b[32m";
const char* kRed = "\x1b[31m";
const char* kYellow = "\x1b[33m";
const char* kDim = "\x1b[2m";
const char* kBold = "\x1b[1m";
const char* kReset = "\x1b[0m";

// "10:20:50", formatted once per second (a run prints thousands of lines in some seconds).
std::string local_hms(std::chrono::system_clock::time_point t) {
  thread_local std::time_t cached = -1;
  thread_local std::string text;
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  if (tt != cached) {
    std::tm tm{};
    localtime_r(&tt, &tm);
    text = fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached = tt;
  }
  return text;
}

// Elapsed time for the live view: "4.2s" under a minute, then "3m07s".
std::string seconds_text(Millis d) {
  int64_t ms = std::max<int64_t>(0, d.count());
  if (ms < 60000) return fmt::format("{}.{}s", ms / 1000, ms % 1000 / 100);
  int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string details_text(const ValueTable& details) {
  std::string s;
  for (const auto& [k, v] : details) {
    if (!s.empty()) s += ", ";
    s += k + " = " + v.to_text();
  }
  for (char& c : s)
    if (c == '\n') c = ';';
  return fit_columns(sanitize_line(s), 200);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The first ids of a long list and how many more: a summary line stays readable when a failure
// in a big plan skips thousands of steps (`ordo status` and the report list them all).
std::string join_first(const std::vector<std::string>& v) {
  constexpr size_t kShown = 12;
  if (v.size() <= kShown + 1) return join(v);
  std::vector<std::string> first(v.begin(), v.begin() + kShown);
  return fmt::format("{}, … and {} more (ordo status lists them)", join(first), v.size() - kShown);
}

std::string plural(int n, const char* what) {
  return fmt::format("{} {}", n, what);
}

}  // namespace

std::string sanitize_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {  // skip an escape sequence: ESC [ ... final byte, or ESC + one char
      if (i + 1 < s.size() && s[i + 1] == '[') {
        i += 2;
        while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\t') {
      out += ' ';
    } else if (c == '\r') {
      out.clear();  // a progress bar redrawn with \r: keep what comes last
    } else if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string fit_columns(const std::string& s, int cols) {
  if (cols <= 0) return "";
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) continue;  // continuation byte
    if (n == cols - 1) {
      // Does the rest fit in the last column?
      size_t rest = 0;
      for (size_t j = i; j < s.size(); ++j)
        if ((static_cast<unsigned char>(s[j]) & 0xc0) != 0x80) ++rest;
      if (rest <= 1) return s;
      return s.substr(0, i) + "…";
    }
    ++n;
  }
  return s;
}

ConsoleSink::ConsoleSink(std::ostream& out, ConsoleOptions options)
    : out_(out), opt_(std::move(options)) {
  if (!opt_.clock_text) opt_.clock_text = local_hms;
  if (!opt_.width) opt_.width = [] { return 80; };
}

std::string ConsoleSink::paint(const std::string& color, const std::string& text) const {
  if (!opt_.color || color.empty()) return text;
  return color + text + kReset;
}

void ConsoleSink::line(const Event& e, const std::string& tag, const std::string& color,
                       const std::string& text) {
  if (opt_.live) {
    clear_live();
    out_ << paint(color, tag) << ' ' << text << '\n';
    draw_live(e.mono);
    return;
  }
  out_ << opt_.clock_text(e.time) << ' ' << fmt::format("{:<5}", tag) << ' ' << text << '\n';
}

void ConsoleSink::clear_live() {
  if (live_lines_ > 0) out_ << "\r\x1b[" << live_lines_ << "A\x1b[J";
  live_lines_ = 0;
}

bool ConsoleSink::paused() const {
  for (const std::string& id : running_)
    if (auto it = steps_.find(id); it != steps_.end() && it->second.owns_terminal) return true;
  return false;
}

void ConsoleSink::draw_live(Millis mono) {
  last_draw_ = mono;
  if (paused()) return;
  static const char* kSpin[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  const int width = std::max(20, opt_.width());
  for (const std::string& id : running_) {
    const StepView& v = steps_[id];
    std::string head = fmt::format("{} {}  {}", kSpin[(mono.count() / 100) % 10], id,
                                   seconds_text(mono - v.started));
    if (v.watcher) head += " (watching)";
    std::string text = fit_columns(head + "  " + v.last_line, width - 1);
    size_t cut = std::min(text.size(), head.size());
    out_ << paint(kYellow, text.substr(0, cut)) << paint(kDim, text.substr(cut)) << '\n';
    ++live_lines_;
  }
}

void ConsoleSink::on_event(const Event& e) {
  const bool live = opt_.live;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, RunStarted>) {
          order_ = b.steps;
          std::string resumed;
          if (b.resume)
            resumed = fmt::format("; resumed: {} kept, {} to run again", b.resume->kept.size(),
                                  b.resume->rerun.size());
          line(e, live ? "▶" : (b.resume ? "resume" : "run"), kBold,
               fmt::format("{} ({} steps, -j {}{}{})", b.plan, b.steps.size(), b.jobs,
                           b.run_id.empty() ? "" : ", run " + b.run_id, resumed));
        } else if constexpr (std::is_same_v<T, StepStarted>) {
          StepView& v = steps_[b.step];
          v.started = e.mono;
          v.watcher = b.watcher;
          v.owns_terminal = b.kind == "confirm";
          v.last_line.clear();
          v.tail.clear();
          running_.push_back(b.step);
          if (live) {
            clear_live();
            draw_live(e.mono);
          } else {
            std::string extra = b.attempt > 1 ? fmt::format(" (attempt {})", b.attempt) : "";
            if (b.watcher) extra += " (watcher)";
            line(e, "start", "", b.step + extra);
          }
        } else if constexpr (std::is_same_v<T, StepOutput>) {
          StepView& v = steps_[b.step];
          std::string clean = sanitize_line(b.line);
          v.tail.push_back(clean);
          if (v.tail.size() > opt_.tail_lines)
            v.tail.erase(v.tail.begin(), v.tail.end() - static_cast<ptrdiff_t>(opt_.tail_lines));
          if (!clean.empty()) v.last_line = clean;
          if (live && e.mono - last_draw_ >= Millis(100)) {
            clear_live();
            draw_live(e.mono);
          }
        } else if constexpr (std::is_same_v<T, StepWarning>) {
          line(e, live ? "!" : "warn", kYellow, b.step + ": " + sanitize_line(b.message));
        } else if constexpr (std::is_same_v<T, WatcherFired>) {
          // A watcher's own one-line `summary` reads better than its raw fields.
          const Value* summary = table_find(b.details, "summary");
          std::string text =
              b.step + ": " +
              (summary && summary->is_string() ? summary->as_string() : details_text(b.details));
          if (!b.triggers.empty()) text += " -> " + join(b.triggers);
          line(e, live ? "⚑" : "fired", kYellow, text);
        } else if constexpr (std::is_same_v<T, StepRetrying>) {
          std::erase(running_, b.step);
          line(e, live ? "↻" : "retry", kYellow,
               fmt::format("{}: {}; attempt {} in {}", b.step, b.message, b.attempt,
                           format_duration(b.wait)));
        } else if constexpr (std::is_same_v<T, StepFinished>) {
          std::erase(running_, b.step);
          StepView& v = steps_[b.step];
          v.status = step_status_name(b.status);
          v.message = b.message;
          std::string dur = " (" + format_duration(b.duration) + ")";
          switch (b.status) {
            case StepStatus::Succeeded:
              line(e, live ? "✓" : "ok", kGreen, b.step + dur);
              steps_.erase(b.step);  // the summary names only what did not succeed
              break;
            case StepStatus::Cancelled:
              line(e, live ? "✗" : "stop", kRed,
                   b.step + ": " + (b.message.empty() ? "cancelled" : b.message) + dur);
              break;
            default:
              line(e, live ? "✗" : "FAIL", kRed,
                   b.step + ": " + (b.message.empty() ? "failed" : b.message) + (live ? dur : ""));
              break;
          }
        } else if constexpr (std::is_same_v<T, StepSkipped>) {
          StepView& v = steps_[b.step];
          v.status = "skipped";
          v.message = b.reason;
          v.cause = b.cause;
          v.skip_kind = b.kind;
          line(e, live ? "–" : "skip", kDim, b.step + ": " + b.reason);
        } else if constexpr (std::is_same_v<T, RunAborting>) {
          std::string text = b.reason;
          if (!b.cause.empty())
            text += ": starting no new steps; running steps finish, then cleanup steps run";
          else if (b.interrupts == 1)
            text += " (interrupt again to skip cleanup)";
          line(e, live ? "■" : "abort", kRed, text);
        } else if constexpr (std::is_same_v<T, RunFinished>) {
          if (live) clear_live();
          running_.clear();
          summary(b);
        }
      },
      e.body);
}

void ConsoleSink::on_tick(std::chrono::system_clock::time_point, Millis mono) {
  if (!opt_.live || running_.empty()) return;
  clear_live();
  draw_live(mono);
  out_.flush();
}

void ConsoleSink::flush() {
  out_.flush();
}

void ConsoleSink::summary(const RunFinished& f) {
  const StepCounts& c = f.counts;
  std::vector<std::string> parts;
  if (c.succeeded) parts.push_back(plural(c.succeeded, "succeeded"));
  if (c.failed) parts.push_back(plural(c.failed, "failed"));
  if (c.timed_out) parts.push_back(plural(c.timed_out, "timed out"));
  if (c.cancelled) parts.push_back(plural(c.cancelled, "cancelled"));
  if (c.skipped) {
    std::vector<std::string> why;
    if (c.not_applicable) why.push_back(plural(c.not_applicable, "not applicable"));
    if (c.blocked) why.push_back(plural(c.blocked, "blocked by a failure"));
    if (c.not_reached) why.push_back(plural(c.not_reached, "not started"));
    parts.push_back(plural(c.skipped, "skipped") + " (" + join(why) + ")");
  }
  if (parts.empty()) parts.push_back("no steps");

  std::string title;
  const char* color = kRed;
  switch (f.outcome) {
    case RunOutcome::Succeeded:
      title = "Run succeeded in " + format_duration(f.duration);
      color = kGreen;
      break;
    case RunOutcome::Failed:
      title = "Run FAILED after " + format_duration(f.duration);
      break;
    case RunOutcome::Refused:
      title = "Run REFUSED after " + format_duration(f.duration);
      break;
    case RunOutcome::Interrupted:
      title = "Run INTERRUPTED after " + format_duration(f.duration);
      break;
  }
  out_ << '\n' << paint(std::string(kBold) + color, title) << ": " << join(parts) << '\n';

  std::vector<std::string> cancelled, handled;
  for (const std::string& id : order_) {
    auto it = steps_.find(id);
    if (it == steps_.end()) continue;
    if (it->second.status == "cancelled") cancelled.push_back(id);
    if ((it->second.status == "failed" || it->second.status == "timed_out") &&
        std::find(f.root_causes.begin(), f.root_causes.end(), id) == f.root_causes.end())
      handled.push_back(id);
  }

  for (const std::string& id : f.root_causes) {
    const StepView& v = steps_[id];
    std::string what = v.status == "timed_out"   ? "timed out"
                       : v.status == "cancelled" ? "was cancelled"
                                                 : "failed";
    out_ << "  " << paint(kRed, "root cause:") << ' ' << id << ' ' << what
         << (v.message.empty() ? "" : ": " + v.message) << '\n';
    if (!v.tail.empty()) {
      out_ << "    last output" << (opt_.logs_dir.empty() ? "" : " (steps/" + id + ".log)")
           << ":\n";
      for (const std::string& l : v.tail) out_ << "      | " << fit_columns(l, 160) << '\n';
    }
    std::vector<std::string> blocked;
    for (const std::string& sid : order_) {
      auto it = steps_.find(sid);
      if (it != steps_.end() && it->second.status == "skipped" && it->second.cause == id)
        blocked.push_back(sid);
    }
    if (!blocked.empty()) out_ << "    skipped because of it: " << join_first(blocked) << '\n';
  }
  if (!handled.empty()) out_ << "  failed but handled: " << join_first(handled) << '\n';
  if (!cancelled.empty()) out_ << "  cancelled: " << join_first(cancelled) << '\n';
  if (!opt_.logs_dir.empty())
    out_ << "Logs: " << opt_.logs_dir
         << " (steps/<id>.log for each step that printed output or did not succeed)\n";
  out_.flush();
}

}  // namespace ordo
