#include "run_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "console.h"
#include "events_json.h"
#include "fingerprint.h"
#include "journal_replay.h"
#include "plan_loader.h"
#include "process_reactor.h"
#include "render/report.h"
#include "run_record.h"
#include "short_slice.h"
#include "step_env.h"
#include "step_logs.h"

namespace ordo::cli {
namespace {

// spdlog's file sink leaks its descriptor into child processes; this one opens with O_CLOEXEC.
class CloexecFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CloexecFileSink(std::FILE* f) : f_(f) {}
  ~CloexecFileSink() override { std::fclose(f_); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::fwrite(buf.data(), 1, buf.size(), f_);
  }
  void flush_() override { std::fflush(f_); }

 private:
  std::FILE* f_;
};

// Engine diagnostics for ordo.log: every step transition, without the step output.
class LogSink final : public EventSink {
 public:
  explicit LogSink(spdlog::logger& log) : log_(log) {}
  void on_event(const Event& e) override {
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, RunStarted>) {
            log_.info("{} {} of plan {} ({}) on {}: {} steps, -j {}",
                      b.resume ? "resuming run" : "run", b.run_id, b.plan, b.path, b.host,
                      b.steps.size(), b.jobs);
            if (b.resume)
              log_.info("resume {}: {} steps kept, {} run again, {} skipped", b.resume->resumes,
                        b.resume->kept.size(), b.resume->rerun.size(), b.resume->skipped.size());
          } else if constexpr (std::is_same_v<T, StepStarted>) {
            log_.info("{} {}: attempt {} started", b.watcher ? "watcher" : "step", b.step,
                      b.attempt);
          } else if constexpr (std::is_same_v<T, StepWarning>) {
            log_.warn("{}: {}", b.step, b.message);
          } else if constexpr (std::is_same_v<T, WatcherFired>) {
            log_.info("{} fired ({}), triggers {}", b.step, b.count, b.triggers.size());
          } else if constexpr (std::is_same_v<T, StepRetrying>) {
            log_.warn("{}: {}; attempt {} in {}", b.step, b.message, b.attempt,
                      format_duration(b.wait));
          } else if constexpr (std::is_same_v<T, StepFinished>) {
            log_.info("{}: {} (attempt {}, exit code {}, {}){}", b.step, step_status_name(b.status),
                      b.attempt, b.exit_code, format_duration(b.duration),
                      b.message.empty() ? "" : ": " + b.message);
          } else if constexpr (std::is_same_v<T, StepSkipped>) {
            log_.info("{}: skipped ({}): {}", b.step, skip_kind_name(b.kind), b.reason);
          } else if constexpr (std::is_same_v<T, RunAborting>) {
            log_.warn("aborting: {}", b.reason);
          } else if constexpr (std::is_same_v<T, RunFinished>) {
            log_.info("run {} after {}", run_outcome_name(b.outcome), format_duration(b.duration));
          }
        },
        e.body);
  }
  void flush() override { log_.flush(); }

 private:
  spdlog::logger& log_;
};

int g_sig_pipe[2] = {-1, -1};

void on_signal(int sig) {
  int saved = errno;
  unsigned char c = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_sig_pipe[1], &c, 1);
  errno = saved;
}

// Installs SIGINT/SIGTERM handlers for its lifetime and forwards each signal to the scheduler.
class SignalForwarder {
 public:
  explicit SignalForwarder(Scheduler& sched) {
    if (::pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0 || ::pipe2(quit_, O_CLOEXEC) != 0) {
      std::cerr << "ordo: warning: cannot set up signal handling; Ctrl-C kills ordo\n";
      return;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    installed_ = true;
    thread_ = std::thread([this, &sched] { loop(sched); });
  }
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;
  ~SignalForwarder() {
    if (!installed_) return;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    char c = 'q';
    [[maybe_unused]] ssize_t n = ::write(quit_[1], &c, 1);
    thread_.join();
    for (int fd : {g_sig_pipe[0], g_sig_pipe[1], quit_[0], quit_[1]}) ::close(fd);
    g_sig_pipe[0] = g_sig_pipe[1] = -1;
  }

 private:
  void loop(Scheduler& sched) {
    int count = 0;
    for (;;) {
      pollfd fds[2] = {{g_sig_pipe[0], POLLIN, 0}, {quit_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      unsigned char c;
      while (::read(g_sig_pipe[0], &c, 1) == 1) {
        if (++count >= 3) {
          const char msg[] = "\nordo: third interrupt: exiting now, steps may still be running\n";
          [[maybe_unused]] ssize_t n = ::write(2, msg, sizeof msg - 1);
          ::_exit(kExitInterrupted);
        }
        sched.interrupt();
      }
    }
  }

  int quit_[2] = {-1, -1};
  bool installed_ = false;
  struct sigaction old_int_ {
  }, old_term_{};
  std::thread thread_;
};

int terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& path) {
  std::FILE* f = nullptr;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) f = ::fdopen(fd, "a");
  if (!f) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  auto logger = std::make_shared<spdlog::logger>("ordo", std::make_shared<CloexecFileSink>(f));
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace

std::string state_dir_of(const CommonOptions& common) {
  return common.state_dir.empty() ? default_state_dir() : common.state_dir;
}

std::string lock_path(const std::string& state, const std::string& plan) {
  return state + "/" + plan + "/lock";
}

std::optional<int> take_run_lock(RunLock& lock, const std::string& state, const std::string& plan) {
  if (Status made = make_private_dirs(state + "/" + plan); !made.ok()) {
    std::cerr << "ordo: " << made.error().str() << "\n";
    return kExitInvalid;
  }
  Result<RunLock::Outcome> got = lock.acquire(lock_path(state, plan));
  if (!got.ok()) {
    std::cerr << "ordo: " << got.error().str() << "\n";
    return kExitInvalid;
  }
  if (*got == RunLock::Outcome::Busy) {
    if (lock.holder().orphaned())
      std::cerr << "ordo: plan " << plan << " is locked, but its holder, "
                << describe_holder(lock.holder())
                << ", is gone: something it started (a step?) still holds the lock\n  (lock: "
                << lock_path(state, plan) << "; ordo unlock --force removes it)\n";
    else
      std::cerr << "ordo: plan " << plan << " is being run by " << describe_holder(lock.holder())
                << "\n  (lock: " << lock_path(state, plan)
                << "; one run of a plan at a time per state dir)\n";
    return kExitRefused;
  }
  if (const auto& stale = lock.stale())
    std::cerr << "ordo: warning: taking over the lock of plan " << plan << " left by "
              << describe_holder(*stale)
              << (stale->alive_here ? ": it no longer holds it" : ": that process is gone") << "\n";
  return std::nullopt;
}

std::string local_datetime(const std::string& ts) {
  auto t = parse_utc_ms(ts);
  if (!t) return ts;
  std::time_t secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::optional<std::string> plan_name_of(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    Diagnostics diags;
    std::optional<Plan> plan = load_plan_file(arg, diags);
    if (plan && !plan->name.empty()) return plan->name;
    print_diagnostics(diags);
    std::cerr << "ordo: cannot tell the plan name from " << arg << "\n";
    return std::nullopt;
  }
  if (!arg.empty() &&
      arg.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos)
    return arg;
  std::cerr << "ordo: " << arg << " is neither a plan file nor a plan name\n";
  return std::nullopt;
}

int execute_run(Session& s, const RunOptions& opts) {
  LoadedPlan& lp = s.plan;
  const RunPaths& paths = s.paths;

  std::ofstream events_file;
  std::optional<JsonLinesSink> json;
  if (!opts.events.empty()) {
    Status created = create_private_file(opts.events);
    if (created.ok()) events_file.open(opts.events, std::ios::out | std::ios::trunc);
    if (!created.ok() || !events_file) {
      std::cerr << "ordo: cannot write the events file " << opts.events << "\n";
      return kExitInvalid;
    }
    json.emplace(events_file);
  }

  std::shared_ptr<spdlog::logger> logger = make_logger(paths.log_file);
  if (!logger) {
    std::cerr << "ordo: cannot write " << paths.log_file << "\n";
    return kExitInvalid;
  }
  std::shared_ptr<spdlog::logger> previous_default = spdlog::default_logger();
  spdlog::set_default_logger(logger);  // executors' diagnostics go to ordo.log too

  const bool color = use_color(STDOUT_FILENO, opts.common);
  ConsoleOptions copt;
  copt.live = color;
  copt.color = color;
  copt.width = terminal_width;
  copt.logs_dir = paths.run_dir;
  ConsoleSink console(std::cout, copt);
  StepLogSink step_logs(paths.steps_dir);
  LogSink log_sink(*logger);
  FanOut sinks;
  // The journal first: a turn's records reach the kernel before anything else, and before its
  // steps start. The others write after the turn's steps started (FanOut::Flush::AfterLaunch).
  sinks.add(s.journal);
  sinks.add(step_logs, FanOut::Flush::AfterLaunch);
  if (json) sinks.add(*json, FanOut::Flush::AfterLaunch);
  sinks.add(log_sink, FanOut::Flush::AfterLaunch);
  sinks.add(console, FanOut::Flush::AfterLaunch);

  SchedulerOptions sopt;
  sopt.jobs = opts.jobs > 0 ? opts.jobs
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  sopt.run_id = s.run_id;
  sopt.assume_yes = opts.yes;
  sopt.interactive = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
  if (copt.live) sopt.tick_interval = Millis(200);
  sopt.fingerprint_salt = s.salt;
  sopt.plan_files = s.files;
  sopt.plan_digest = combined_digest(s.files);
  sopt.resume = s.resume;
  sopt.unselected = std::move(s.unselected);  // read by nothing after this
  sopt.only_tags = s.tags.only;
  sopt.skip_tags = s.tags.skip;

  set_step_run_id(s.run_id);  // ORDO_RUN_ID of the steps: resume finds orphans by it
  SystemRunClock clock;
  ProcessReactor dispatcher;  // shell/exec steps on this thread, the rest on a worker pool
  // This thread launches and reaps the steps: a short slice lets it preempt a running step
  // when it wakes, instead of leaving a CPU idle (short_slice.h).
  const SliceRequest slice = request_short_slice();
  logger->info("{}", slice.detail);
  RunSummary summary;
  {
    Scheduler scheduler(RunInputs{lp.plan, lp.graph, s.registry, lp.vars, lp.facts}, clock,
                        dispatcher, sinks, sopt);
    SignalForwarder signals(scheduler);
    summary = scheduler.run();
  }
  logger->flush();
  spdlog::set_default_logger(previous_default);
  step_logs.drain();  // the report reads them
  if (const char* dbg = std::getenv("ORDO_DEBUG_SYNCS"); dbg && std::string(dbg) == "1")
    std::cerr << "ordo: journal: " << s.journal.syncs() << " fdatasyncs ("
              << static_cast<long>(s.journal.sync_ms() * 1000) << " us; writes "
              << static_cast<long>(s.journal.write_ms() * 1000) << " us) for "
              << s.journal.records() << " records (" << lp.plan.steps.size() << " steps), "
              << s.journal.setup_syncs() << " directory syncs\n";

  // The run report, <run dir>/report.html: from the journal, or from the --events file while
  // runs do not write a journal yet. A run without either gets no report.
  if (!opts.no_report) {
    if (events_file.is_open()) events_file.flush();
    std::string record = journal_path(paths.run_dir);
    if (::access(record.c_str(), R_OK) != 0) record = opts.events;
    if (!record.empty()) {
      std::string report = paths.run_dir + "/report.html";
      Status written =
          write_report(lp.plan, lp.graph, ReportFiles{record, paths.run_dir, s.state, report},
                       &s.registry, secret_var_values(lp.plan, lp.vars));
      if (written.ok())
        std::cout << "Report: " << report << "\n";
      else
        std::cerr << "ordo: warning: no report: " << written.error().str() << "\n";
    }
  }

  switch (summary.outcome) {
    case RunOutcome::Succeeded:
      return kExitOk;
    case RunOutcome::Failed:
      return kExitFailed;
    case RunOutcome::Refused:
      return kExitRefused;
    case RunOutcome::Interrupted:
      return kExitInterrupted;
  }
  return kExitFailed;
}

}  // namespace ordo::cli
