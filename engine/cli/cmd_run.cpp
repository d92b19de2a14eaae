// `ordo run PLAN`: load and validate, make the run's directory, then run the scheduler with the
// real clock and one thread per running step. Events go to the console, the per-step log files,
// ordo.log (spdlog) and, with --events, a JSON-lines file. SIGINT/SIGTERM reach the scheduler
// through a self-pipe read by a small thread: the first interrupt stops running steps and runs
// the cleanup (`always`) steps, the second skips the cleanup, a third exits at once.
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
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "builtin.h"
#include "commands.h"
#include "console.h"
#include "events_json.h"
#include "loading.h"
#include "render/report.h"
#include "run_record.h"
#include "scheduler.h"
#include "state_dir.h"
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
            log_.info("run {} of plan {} ({}) on {}: {} steps, -j {}", b.run_id, b.plan, b.path,
                      b.host, b.steps.size(), b.jobs);
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

int cmd_run(const RunOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  std::optional<LoadedPlan> loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  if (!loaded) {
    print_diagnostics(diags);
    return kExitInvalid;
  }
  if (!diags.empty()) print_diagnostics(diags);  // warnings

  const std::string state =
      opts.common.state_dir.empty() ? default_state_dir() : opts.common.state_dir;
  const std::string run_id = new_run_id();
  Result<RunPaths> paths = create_run_dirs(state, loaded->plan.name, run_id);
  if (!paths.ok()) {
    std::cerr << "ordo: " << paths.error().str() << "\n";
    return kExitInvalid;
  }

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

  std::shared_ptr<spdlog::logger> logger = make_logger(paths->log_file);
  if (!logger) {
    std::cerr << "ordo: cannot write " << paths->log_file << "\n";
    return kExitInvalid;
  }
  std::shared_ptr<spdlog::logger> previous_default = spdlog::default_logger();
  spdlog::set_default_logger(logger);  // executors' diagnostics go to ordo.log too

  const bool color = use_color(STDOUT_FILENO, opts.common);
  ConsoleOptions copt;
  copt.live = color;
  copt.color = color;
  copt.width = terminal_width;
  copt.logs_dir = paths->run_dir;
  ConsoleSink console(std::cout, copt);
  StepLogSink step_logs(paths->steps_dir);
  LogSink log_sink(*logger);
  FanOut sinks;
  sinks.add(step_logs);
  if (json) sinks.add(*json);
  sinks.add(log_sink);
  sinks.add(console);

  SchedulerOptions sopt;
  sopt.jobs = opts.jobs > 0 ? opts.jobs
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  sopt.run_id = run_id;
  sopt.assume_yes = opts.yes;
  sopt.interactive = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
  if (copt.live) sopt.tick_interval = Millis(200);

  SystemRunClock clock;
  ThreadDispatcher dispatcher;
  RunSummary summary;
  {
    LoadedPlan& lp = *loaded;
    Scheduler scheduler(RunInputs{lp.plan, lp.graph, registry, lp.vars, lp.facts}, clock,
                        dispatcher, sinks, sopt);
    SignalForwarder signals(scheduler);
    summary = scheduler.run();
  }
  logger->flush();
  spdlog::set_default_logger(previous_default);

  // The run report, <run dir>/report.html: from the journal, or from the --events file while
  // runs do not write a journal yet. A run without either gets no report.
  if (!opts.no_report) {
    if (events_file.is_open()) events_file.flush();
    std::string record = journal_path(paths->run_dir);
    if (::access(record.c_str(), R_OK) != 0) record = opts.events;
    if (!record.empty()) {
      std::string report = paths->run_dir + "/report.html";
      Status written = write_report(loaded->plan, loaded->graph,
                                    ReportFiles{record, paths->run_dir, state, report}, &registry,
                                    secret_var_values(loaded->plan, loaded->vars));
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
