// ProcessReactor (see process_reactor.h).
#include "process_reactor.h"

#include <cerrno>
#include <exception>
#include <stop_token>
#include <system_error>

#include "inbox.h"
#include "process_step.h"
#include "process_watch.h"

namespace ordo {

// One running process step. Heap-allocated: the ChildWatch and spec.on_line refer to its
// members (spec, result, launch.ctx).
struct ProcessReactor::Job {
  Launch launch;
  ProcessStepExecutor::Prepared prep;
  ProcessResult result;
  std::optional<ChildWatch> watch;
  // Wakes a poll in progress when the stop comes from another thread (the scheduler's own
  // requests are seen by check_stop() before each poll).
  struct WakeInbox {
    Inbox* inbox;
    void operator()() const noexcept { inbox->wake(); }
  };
  std::optional<std::stop_callback<WakeInbox>> on_stop;
  bool failed = false;
  std::string failure;
};

ProcessReactor::ProcessReactor() : buf_(new char[ChildWatch::kReadChunk]) {}

ProcessReactor::~ProcessReactor() {
  jobs_.clear();  // each ChildWatch kills its group and reaps its leader
}

void ProcessReactor::launch(Launch l) {
  const auto* px = dynamic_cast<const ProcessStepExecutor*>(l.executor);
  if (!px) {
    pool_.launch(std::move(l));
    return;
  }
  auto job = std::make_unique<Job>();
  job->launch = std::move(l);
  Launch& jl = job->launch;
  try {
    auto p = px->prepare(jl.ctx);
    if (auto* o = std::get_if<Outcome>(&p)) {
      jl.done(std::move(*o));
      return;
    }
    job->prep = std::move(std::get<ProcessStepExecutor::Prepared>(p));
    auto started = start_process(job->prep.spec, job->result);
    if (!started) {
      jl.done(step_outcome(jl.ctx, job->result, job->prep.started, job->prep.success_codes));
      return;
    }
    job->watch.emplace(job->prep.spec, started->child, started->out_fd, started->err_fd,
                       job->result);
  } catch (const std::exception& e) {
    jl.done(Outcome::failed(std::string("internal error: ") + e.what()));
    return;
  }
  ++started_;
  jobs_.push_back(std::move(job));
}

void ProcessReactor::finish(Job& job) {
  Launch& l = job.launch;
  Outcome o;
  if (job.failed) {
    o = Outcome::failed("internal error: " + job.failure);
  } else {
    try {
      o = step_outcome(l.ctx, job.result, job.prep.started, job.prep.success_codes);
    } catch (const std::exception& e) {
      o = Outcome::failed(std::string("internal error: ") + e.what());
    }
  }
  job.on_stop.reset();
  job.watch.reset();  // closes what is left; kills and reaps if it had not ended
  l.done(std::move(o));
}

void ProcessReactor::wait(Inbox& inbox, RunClock& clock, std::optional<Clock::time_point> until) {
  if (jobs_.empty()) {
    inbox.wait(clock, until);
    return;
  }
  const int wake = inbox.begin_poll();
  fds_.clear();
  first_.clear();
  std::optional<Clock::time_point> next = until;
  for (auto& job : jobs_) {
    if (!job->on_stop && job->prep.spec.stop.stop_possible())
      job->on_stop.emplace(job->prep.spec.stop, Job::WakeInbox{&inbox});
    job->watch->check_stop();  // after begin_poll: a later request wakes the poll
    first_.push_back(fds_.size());
    job->watch->fill(fds_);
    if (auto t = job->watch->next_timer(); t && (!next || *t < *next)) next = t;
  }
  if (wake >= 0) fds_.push_back({wake, POLLIN, 0});
  const int timeout = wake < 0 ? 0 : poll_timeout_ms(next);
  const int k = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), timeout);
  const int poll_errno = errno;
  inbox.end_poll();
  if (k < 0 && poll_errno != EINTR)
    throw std::system_error(poll_errno, std::system_category(), "poll");
  size_t keep = 0;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    Job& job = *jobs_[i];
    try {
      if (k > 0) job.watch->handle(&fds_[first_[i]], buf_.get());
      job.watch->on_timers();
    } catch (const std::exception& e) {
      job.failed = true;
      job.failure = e.what();
    }
    if (job.failed || job.watch->done())
      finish(job);
    else if (keep++ != i)
      jobs_[keep - 1] = std::move(jobs_[i]);
  }
  jobs_.resize(keep);
}

}  // namespace ordo
