// wait-for: wait until a TCP port accepts connections, a URL answers, or a path exists.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "child_env.h"
#include "interruptible_sleep.h"
#include "kinds.h"
#include "net_probe.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"

namespace ordo {
namespace {

// "host:port" with a non-empty host (IPv6 in brackets: "[::1]:5432") and a port 1..65535.
bool is_host_port(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  std::string port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  int n = std::stoi(port);
  return n >= 1 && n <= 65535;
}

// One run of a wait-for step.
class WaitRun {
 public:
  explicit WaitRun(StepContext& ctx) : ctx_(ctx) {}

  Outcome run() {
    const Millis within = param_duration(ctx_.params, "within").value_or(Millis(60000));
    Millis poll = param_duration(ctx_.params, "poll").value_or(Millis(1000));
    if (poll <= Millis(0)) poll = Millis(1000);
    const auto give_up = started_ + within;

    std::function<Probe(Clock::time_point)> probe;
    std::string what;
    if (std::string port = param_string(ctx_.params, "port"); !port.empty()) {
      auto at = parse_host_port(port);
      if (!at.ok()) return Outcome::failed("`port`: " + at.error().message);
      what = port;
      probe = [this, at = at.value()](Clock::time_point until) {
        return probe_tcp(at, until, ctx_.stop);
      };
    } else if (std::string url = param_string(ctx_.params, "url"); !url.empty()) {
      auto u = parse_http_url(url);
      if (!u.ok()) return Outcome::failed(u.error().message);
      what = url;
      probe = [this, u = u.value()](Clock::time_point until) {
        return probe_http(u, until, ctx_.stop);
      };
    } else if (const Value* p = table_find(ctx_.params, "path"); p && p->is_string()) {
      const std::string path = step_path(ctx_, p->as_string());
      what = path;
      probe = [path](Clock::time_point) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) return Probe{true, "exists"};
        return Probe{false, std::strerror(errno)};
      };
    } else {
      return Outcome::failed("a wait-for step needs one of `port`, `url`, `path`");
    }

    ctx_.output(OutputStream::Info, "waiting for " + what + " (up to " + format_duration(within) +
                                        ", every " + format_duration(poll) + ")");
    std::string last;
    for (;;) {
      const auto try_started = Clock::now();
      // One try may take until the next one is due (at least 1s; the last try too).
      auto until = try_started + std::max(poll, Millis(1000));
      if (ctx_.deadline) until = std::min(until, *ctx_.deadline);
      Probe got = probe(until);
      if (ctx_.stop.stop_requested()) return step_cancelled("waiting for " + what);
      if (got.up) {
        const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - started_);
        ctx_.output(OutputStream::Info,
                    what + ": " + got.detail + " after " + format_duration(waited));
        return Outcome::succeeded({{"waited", Value(format_duration(waited))}});
      }
      if (got.detail != last) ctx_.output(OutputStream::Info, what + ": " + got.detail);
      last = got.detail;
      if (deadline_passed(ctx_))
        return step_timed_out(ctx_, started_, "waiting for " + what + "; last try: " + last);
      if (Clock::now() >= give_up)
        return Outcome::failed(what + " not ready within " + format_duration(within) +
                               " (last try: " + last + ")");
      auto next = std::min(try_started + poll, give_up);
      if (ctx_.deadline) next = std::min(next, *ctx_.deadline);
      if (!sleep_until(ctx_.stop, next)) return step_cancelled("waiting for " + what);
      if (deadline_passed(ctx_))
        return step_timed_out(ctx_, started_, "waiting for " + what + "; last try: " + last);
    }
  }

 private:
  StepContext& ctx_;
  const Clock::time_point started_ = Clock::now();
};

class WaitForExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "wait-for",
        .summary = "wait until a port accepts connections, a URL answers, or a path exists",
        .doc =
            "Waits for exactly one thing: `port` (\"host:port\": a TCP connection "
            "succeeds), `url` (an HTTP GET answers with a status below 500: a redirect, or "
            "a 404 or 403, means the server is up; a 502 or 503 from a proxy whose backend "
            "is still starting does not) or `path` (the path exists, as ordo sees it). It "
            "tries every `poll` and fails when `within` has passed without success, saying "
            "what the last try got. Only plain http:// URLs: ordo speaks no TLS, so an "
            "https:// URL fails (wait for its port instead). Useful after starting a "
            "service, before the steps that need it.",
        .params =
            {
                {.name = "port",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "\"host:port\", e.g. \"localhost:5432\": wait until it accepts a TCP "
                        "connection"},
                {.name = "url",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "an http:// URL: wait until a GET answers below 500 (https:// is not "
                        "supported: wait for the port)"},
                {.name = "path",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "wait until this path exists"},
                {.name = "within",
                 .type = ParamType::Duration,
                 .required = false,
                 .default_value = Value("1m"),
                 .choices = {},
                 .doc = "fail if the wait has not succeeded after this long"},
                {.name = "poll",
                 .type = ParamType::Duration,
                 .required = false,
                 .default_value = Value("1s"),
                 .choices = {},
                 .doc = "how often to try"},
            },
        .outputs = {{"waited", "how long the wait took, e.g. \"1.5s\""}},
        .watcher = false,
        .example =
            "[steps.uwsgi-up]\nkind = \"wait-for\"\nport = \"127.0.0.1:8008\"\nwithin = "
            "\"30s\"\nrequires = [\"start-uwsgi\"]\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    auto targets = params_present(step.params, {"port", "url", "path"});
    if (targets.empty())
      diags.error(step.loc, "a wait-for step needs one of `port`, `url`, `path`: what to wait for");
    for (size_t i = 1; i < targets.size(); ++i)
      diags.error(key_loc_of(targets[i]->second),
                  "a wait-for step waits for one thing: `" + targets[0]->first + "` and `" +
                      targets[i]->first + "` cannot be combined (use two steps)");
    const Value* port = table_find(step.params, "port");
    if (port && port->is_string() && !has_interpolation(*port) && !is_host_port(port->as_string()))
      diags.error(value_loc_of(*port),
                  "`port` must be \"host:port\" such as \"localhost:5432\", "
                  "not \"" +
                      port->as_string() + "\"");
    const Value* url = table_find(step.params, "url");
    if (url && url->is_string() && !url->as_string().starts_with("${") &&
        !url->as_string().starts_with("http://") && !url->as_string().starts_with("https://"))
      diags.error(value_loc_of(*url),
                  "`url` must start with http:// or https://, not \"" + url->as_string() + "\"");
    const Value* poll = table_find(step.params, "poll");
    if (poll && poll->is_string() && !has_interpolation(*poll)) {
      auto d = parse_duration(poll->as_string());
      if (d.ok() && d.value() <= Millis(0))
        diags.error(value_loc_of(*poll), "`poll` must be longer than 0s");
    }
  }

  Outcome run(StepContext& ctx) const override { return WaitRun(ctx).run(); }
};

}  // namespace

std::unique_ptr<Executor> make_wait_for_executor() {
  return std::make_unique<WaitForExecutor>();
}

}  // namespace ordo
