// wait-for: wait until a TCP port accepts connections, a URL answers, or a path exists.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

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

class WaitForExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "wait-for",
        .summary = "wait until a port accepts connections, a URL answers, or a path exists",
        .doc =
            "Waits for exactly one thing: `port` (\"host:port\": a TCP connection "
            "succeeds), `url` (an HTTP GET answers with a status below 400) or `path` (the "
            "path exists). It tries every `poll` and fails when `within` has passed "
            "without success. Useful after starting a service, before the steps that "
            "need it.",
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
                 .doc = "an http:// or https:// URL: wait until a GET answers below 400"},
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

  Outcome run(StepContext&) const override { return not_implemented_yet("wait-for"); }
};

}  // namespace

std::unique_ptr<Executor> make_wait_for_executor() {
  return std::make_unique<WaitForExecutor>();
}

}  // namespace ordo
