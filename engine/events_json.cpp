#include "events_json.h"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>
#include <iterator>

#include "value_json.h"

namespace ordo {
namespace {

Json counts_json(const StepCounts& c) {
  return Json{{"succeeded", c.succeeded}, {"failed", c.failed},
              {"timed_out", c.timed_out}, {"cancelled", c.cancelled},
              {"skipped", c.skipped},     {"not_applicable", c.not_applicable},
              {"blocked", c.blocked},     {"not_reached", c.not_reached}};
}

struct Fields {
  Json& j;
  void operator()(const RunStarted& b) const {
    j["run"] = b.run_id;
    j["plan"] = b.plan;
    j["path"] = b.path;
    j["host"] = b.host;
    j["jobs"] = b.jobs;
    j["steps"] = Json::array();  // the ids are spliced in by event_to_json_generic (splice_steps)
    j["vars"] = to_json(b.vars);
    j["digest"] = b.digest;
    Json files = Json::array();
    for (const FileDigest& f : b.files)
      files.push_back(Json{{"path", f.path}, {"sha256", f.sha256}});
    j["files"] = std::move(files);
    if (!b.only_tags.empty()) j["only_tags"] = b.only_tags;
    if (!b.skip_tags.empty()) j["skip_tags"] = b.skip_tags;
    if (const auto& r = b.resume) {
      j["resumes"] = r->resumes;
      j["plan_changed"] = r->plan_changed;
      j["kept"] = r->kept;
      Json rerun = Json::array();
      for (const auto& [step, why] : r->rerun)
        rerun.push_back(Json{{"step", step}, {"reason", why}});
      j["rerun"] = std::move(rerun);
      j["skipped"] = r->skipped;
    }
  }
  void operator()(const StepStarted& b) const {
    j["step"] = b.step;
    j["attempt"] = b.attempt;
    j["watcher"] = b.watcher;
    j["kind"] = b.kind;
    j["fingerprint"] = b.fingerprint;
  }
  void operator()(const StepOutput& b) const {
    j["step"] = b.step;
    j["stream"] = output_stream_name(b.stream);
    j["line"] = b.line;
  }
  void operator()(const StepWarning& b) const {
    j["step"] = b.step;
    j["message"] = b.message;
  }
  void operator()(const WatcherFired& b) const {
    j["step"] = b.step;
    j["count"] = b.count;
    j["details"] = to_json(b.details);
    j["triggers"] = b.triggers;
  }
  void operator()(const StepRetrying& b) const {
    j["step"] = b.step;
    j["attempt"] = b.attempt;
    j["wait_ms"] = b.wait.count();
    j["message"] = b.message;
    j["timed_out"] = b.timed_out;
  }
  void operator()(const StepFinished& b) const {
    j["step"] = b.step;
    j["status"] = step_status_name(b.status);
    j["attempt"] = b.attempt;
    j["exit_code"] = b.exit_code;
    j["message"] = b.message;
    j["outputs"] = to_json(b.outputs);
    j["duration_ms"] = b.duration.count();
  }
  void operator()(const StepSkipped& b) const {
    j["step"] = b.step;
    j["kind"] = skip_kind_name(b.kind);
    j["reason"] = b.reason;
    j["cause"] = b.cause;
  }
  void operator()(const RunAborting& b) const {
    j["reason"] = b.reason;
    j["cause"] = b.cause;
    j["interrupts"] = b.interrupts;
  }
  void operator()(const RunFinished& b) const {
    j["outcome"] = run_outcome_name(b.outcome);
    j["counts"] = counts_json(b.counts);
    j["root_causes"] = b.root_causes;
    j["duration_ms"] = b.duration.count();
  }
};

// RunStarted's step ids, written straight into the line: as a Json array each id would be a
// heap string of its own (~64 bytes a step: 6 MB at once for 100k steps, at the run's peak).
// Fields wrote an empty array. A string value cannot contain `"steps":[]` (its quotes are
// escaped) and the members before it are scalars, so the first match is that member. Each id is
// escaped as Json would, so the line is the same as with the ids in the Json.
void splice_steps(std::string& line, const std::vector<std::string>& ids) {
  static constexpr std::string_view kEmpty = R"("steps":[])";
  const size_t at = line.find(kEmpty);
  if (at == std::string::npos || ids.empty()) return;
  std::string list;
  list.reserve(ids.size() * 8);
  for (const std::string& id : ids) {
    if (!list.empty()) list += ',';
    list += Json(id).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  line.insert(at + kEmpty.size() - 1, list);
}

}  // namespace

// One thread's last second: the date and time text up to the seconds changes once a second,
// and a run stamps thousands of records in each.
std::string format_utc_ms(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  thread_local std::time_t cached_secs = -1;
  thread_local std::string cached_prefix;  // "2026-11-26T01:02:03."
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    cached_prefix = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  std::string out;
  out.reserve(cached_prefix.size() + 4);
  out += cached_prefix;
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  out += 'Z';
  return out;
}

std::string event_to_json_generic(const Event& event) {
  Json j;
  j["v"] = kEventsFormatVersion;
  j["t"] = event_type_name(event.body);
  j["ts"] = format_utc_ms(event.time);
  j["mono_ms"] = event.mono.count();
  std::visit(Fields{j}, event.body);
  std::string line = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (const auto* rs = std::get_if<RunStarted>(&event.body)) splice_steps(line, rs->steps);
  return line;
}

namespace {

// Writes the per-step records straight into the line, in the generic writer's key order and
// bytes: a string of printable ASCII without quote or backslash as is, any other string
// (escapes, UTF-8, invalid bytes) and any table through nlohmann, so both writers always agree.
class Direct {
 public:
  explicit Direct(std::string& out) : out_(out) {}

  bool operator()(const StepStarted& b) {
    str("step", b.step);
    num("attempt", b.attempt);
    boolean("watcher", b.watcher);
    str("kind", b.kind);
    str("fingerprint", b.fingerprint);
    return true;
  }
  bool operator()(const StepOutput& b) {
    str("step", b.step);
    str("stream", output_stream_name(b.stream));
    str("line", b.line);
    return true;
  }
  bool operator()(const StepWarning& b) {
    str("step", b.step);
    str("message", b.message);
    return true;
  }
  bool operator()(const StepRetrying& b) {
    str("step", b.step);
    num("attempt", b.attempt);
    num("wait_ms", b.wait.count());
    str("message", b.message);
    boolean("timed_out", b.timed_out);
    return true;
  }
  bool operator()(const StepFinished& b) {
    str("step", b.step);
    str("status", step_status_name(b.status));
    num("attempt", b.attempt);
    num("exit_code", b.exit_code);
    str("message", b.message);
    key("outputs");
    out_ += b.outputs.empty() ? std::string("{}") : dump(to_json(b.outputs));
    num("duration_ms", b.duration.count());
    return true;
  }
  bool operator()(const StepSkipped& b) {
    str("step", b.step);
    str("kind", skip_kind_name(b.kind));
    str("reason", b.reason);
    str("cause", b.cause);
    return true;
  }
  template <typename Other>
  bool operator()(const Other&) {
    return false;
  }

  void key(std::string_view k) {
    out_ += ",\"";
    out_ += k;
    out_ += "\":";
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    value(v);
  }
  void value(std::string_view v) {
    bool plain = std::all_of(v.begin(), v.end(),
                             [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (!plain) {
      out_ += dump(Json(std::string(v)));
      return;
    }
    out_ += '"';
    out_ += v;
    out_ += '"';
  }
  void num(std::string_view k, long long v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  static std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

 private:
  std::string& out_;
};

}  // namespace

void append_event_json(std::string& out, const Event& event) {
  const size_t start = out.size();
  out += "{\"v\":";
  fmt::format_to(std::back_inserter(out), "{}", kEventsFormatVersion);
  Direct d(out);
  d.str("t", event_type_name(event.body));
  d.str("ts", format_utc_ms(event.time));
  d.num("mono_ms", event.mono.count());
  if (std::visit(d, event.body)) {
    out += '}';
    return;
  }
  out.resize(start);
  out += event_to_json_generic(event);
}

std::string event_to_json(const Event& event) {
  std::string out;
  append_event_json(out, event);
  return out;
}

void JsonLinesSink::on_event(const Event& event) {
  line_.clear();
  append_event_json(line_, event);
  line_ += '\n';
  out_ << line_;
}

}  // namespace ordo
