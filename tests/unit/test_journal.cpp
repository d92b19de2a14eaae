// The journal and what reads it back: SHA-256, the journal sink (group commit, torn tails), the
// run lock, the vars file, the scheduler's sync policy, and resume planning — the scheduler
// parts with the fake clock and dispatcher (sched_fakes.h), files in a scratch directory.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events_json.h"
#include "fingerprint.h"
#include "journal.h"
#include "journal_replay.h"
#include "resume.h"
#include "run_lock.h"
#include "run_vars.h"
#include "sched_fakes.h"
#include "sha256.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;

namespace {

struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/ordo-journal-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    if (std::uncaught_exceptions() > 0 || std::getenv("ORDO_KEEP_TEST_DIRS")) return;
    [[maybe_unused]] int rc = std::system(("rm -rf '" + dir + "'").c_str());
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

int mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

Event ev(EventBody body) {
  return Event{std::chrono::system_clock::now(), Millis(0), std::move(body)};
}

// The recorded events as journal text (what a journal holds after a crash at this point).
std::string journal_text(const RecordingSink& sink) {
  std::string out;
  for (const Event& e : sink.events) out += event_to_json(e) + "\n";
  return out;
}

// The index of the first event of type T for `step` (or events.size()).
template <class T>
size_t index_of(const RecordingSink& sink, const std::string& step) {
  for (size_t i = 0; i < sink.events.size(); ++i)
    if (const T* b = std::get_if<T>(&sink.events[i].body))
      if (b->step == step) return i;
  return sink.events.size();
}

SchedulerOptions salted() {
  SchedulerOptions o;
  o.fingerprint_salt = "test-salt";
  return o;
}

// Plans a resume of `before` (crashed at its current point) over `plan_toml` and `vars`.
struct ResumeCase {
  Run& before;
  JournalReplay journal;
  std::vector<FileDigest> files;
  std::string salt = "test-salt";
  std::optional<ResumeInputs> in;
  ResumePlan plan;

  ResumeCase(Run& crashed, Run& now) : before(crashed) {
    auto j = parse_journal(journal_text(crashed.sink), "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    journal = std::move(*j);
    in.emplace(
        ResumeInputs{now.plan, *now.graph, now.reg, now.vars, now.facts, journal, salt, files});
    plan = plan_resume(*in);
  }
  StepResume::Action action(Run& now, const std::string& id) const {
    return plan.steps[static_cast<size_t>(now.index(id))].action;
  }
  std::string reason(Run& now, const std::string& id) const {
    return plan.steps[static_cast<size_t>(now.index(id))].reason;
  }
};

using A = StepResume::Action;

const char* kChain = R"(
[steps.a]
kind = "job"
msg = "a"
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
requires = ["b"]
)";

}  // namespace

TEST_SUITE("journal") {
  TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors, fed whole or in pieces") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"s);
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"s);
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha256_hex(two_blocks) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"s);
    Sha256 h;
    std::string million(1000000, 'a');
    for (size_t i = 0; i < million.size(); i += 997)
      h.update(std::string_view(million).substr(i, 997));
    CHECK(h.finish_hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"s);
  }

  TEST_CASE("the journal writes a turn's records at flush, syncs only when asked and needed") {
    TempDir t;
    const std::string path = t.path("journal.jsonl");
    auto j = JournalSink::create(path);
    REQUIRE(j.ok());
    CHECK(mode_of(path) == 0600);
    (*j)->on_event(ev(StepStarted{"a", 1, false, "shell", "fp"}));
    CHECK(slurp(path).find('{') == std::string::npos);  // buffered until the end of the turn
    (*j)->flush();
    CHECK(slurp(path).find("\"t\":\"step_started\"") != std::string::npos);
    (*j)->sync();
    (*j)->sync();  // nothing written since: no second fdatasync
    CHECK((*j)->syncs() == 1);
    (*j)->on_event(ev(StepSkipped{"b", SkipKind::NotApplicable, "why", ""}));
    (*j)->sync();  // writes what is buffered, then syncs
    CHECK((*j)->syncs() == 2);
    CHECK((*j)->records() == 2);
    CHECK((*j)->error().empty());
    CHECK_FALSE(JournalSink::create(path).ok());  // never overwrites a run's journal
  }

  TEST_CASE("appending to a journal cuts a torn last line off first") {
    TempDir t;
    const std::string path = t.path("journal.jsonl");
    spit(path, "{\"v\":1,\"t\":\"run_started\"}\n{\"v\":1,\"t\":\"step_st");
    {
      auto j = JournalSink::append(path);
      REQUIRE(j.ok());
      CHECK((*j)->torn_tail_removed());
      (*j)->on_event(ev(StepSkipped{"b", SkipKind::NotApplicable, "why", ""}));
    }
    std::string text = slurp(path);
    CHECK(text.find("step_st\"") == std::string::npos);
    CHECK(text.find("{\"v\":1,\"t\":\"run_started\"}\n{\"v\":1,\"t\":\"step_skipped\"") == 0);
    CHECK(text.back() == '\n');
    auto again = repair_journal_tail(path);
    REQUIRE(again.ok());
    CHECK_FALSE(*again);  // nothing to cut now
  }

  TEST_CASE(
      "a preallocated journal: records over zeros, the tail cut at close, and a killed "
      "ordo's zero tail ignored on replay and cut before a resume appends") {
    TempDir t;
    const std::string path = t.path("journal.jsonl");
    const std::string crashed = t.path("crashed.jsonl");
    std::string at_kill;
    ::setenv("ORDO_JOURNAL_PREALLOC", "1", 1);  // opt-in (journal.h); no threads run here
    struct Unset {
      ~Unset() { ::unsetenv("ORDO_JOURNAL_PREALLOC"); }
    } unset;
    {
      auto j = JournalSink::create(path);
      REQUIRE(j.ok());
      CHECK(slurp(path).size() == static_cast<size_t>(JournalSink::kChunk));  // zeros, synced
      CHECK((*j)->setup_syncs() == 3);  // the zeros, the run dir, runs/
      (*j)->on_event(ev(RunStarted{}));
      (*j)->on_event(ev(StepStarted{"a", 1, false, "shell", "fp"}));
      (*j)->sync();
      // Past the first chunk: the file grows by whole chunks, records stay contiguous.
      for (int i = 0; i < 3000; ++i)
        (*j)->on_event(ev(StepSkipped{"b" + std::to_string(i), SkipKind::NotApplicable,
                                      std::string(300, 'w'), ""}));
      (*j)->flush();
      at_kill = slurp(path);  // the file as a SIGKILL now would leave it
      CHECK(at_kill.size() % JournalSink::kChunk == 0);
      CHECK(at_kill.size() > static_cast<size_t>(JournalSink::kChunk));
      CHECK(at_kill.back() == '\0');
      (*j)->on_event(ev(StepSkipped{"last", SkipKind::NotApplicable, "why", ""}));
    }
    // Closed: the zero tail is gone, every record is there, the file ends with a newline.
    std::string closed = slurp(path);
    CHECK(closed.find('\0') == std::string::npos);
    CHECK(closed.back() == '\n');
    CHECK(std::count(closed.begin(), closed.end(), '\n') == 3003);
    CHECK(closed.find("\"last\"") != std::string::npos);

    // The killed state: readers see the records and no torn line.
    auto r = parse_run_record(at_kill, "crashed.jsonl");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? ""s : r.error().str()));
    CHECK(r->torn_lines == 0);
    CHECK(r->find("a")->state == StepState::Running);
    CHECK(r->find("b2999")->state == StepState::Skipped);
    // A record cut mid-write before the zeros is a torn line.
    std::string torn = at_kill;
    torn.replace(at_kill.find('\0'), 10, "{\"v\":1,\"t\"");
    auto rt = parse_run_record(torn, "torn.jsonl");
    REQUIRE(rt.ok());
    CHECK(rt->torn_lines == 1);

    // Resume appends after the last record: the zeros are cut (not reported as a torn record).
    spit(crashed, at_kill);
    {
      auto j = JournalSink::append(crashed);
      REQUIRE(j.ok());
      CHECK_FALSE((*j)->torn_tail_removed());
      (*j)->on_event(ev(StepSkipped{"resumed", SkipKind::NotApplicable, "why", ""}));
    }
    std::string resumed = slurp(crashed);
    CHECK(resumed.find('\0') == std::string::npos);
    CHECK(resumed.substr(0, at_kill.find('\0')) == at_kill.substr(0, at_kill.find('\0')));
    CHECK(std::count(resumed.begin(), resumed.end(), '\n') == 3003);
    CHECK(resumed.find("\"resumed\"") != std::string::npos);
    // A torn record before the zeros is reported when cut.
    spit(crashed, torn);
    auto cut = repair_journal_tail(crashed);
    REQUIRE(cut.ok());
    CHECK(*cut);
    CHECK(slurp(crashed) == at_kill.substr(0, at_kill.find('\0')));
  }

  TEST_CASE("the run lock: one holder, the holder named, a dead holder's file taken over") {
    TempDir t;
    const std::string path = t.path("lock");
    RunLock first;
    auto got = first.acquire(path);
    REQUIRE(got.ok());
    CHECK(*got == RunLock::Outcome::Acquired);
    CHECK_FALSE(first.stale().has_value());
    REQUIRE(first.describe("R1").ok());
    CHECK(mode_of(path) == 0600);

    RunLock second;  // another open file description: flock(2) conflicts even in one process
    auto busy = second.acquire(path);
    REQUIRE(busy.ok());
    CHECK(*busy == RunLock::Outcome::Busy);
    CHECK(second.holder().pid == static_cast<long>(::getpid()));
    CHECK(second.holder().run == "R1"s);
    CHECK(describe_holder(second.holder()).find("pid " + std::to_string(::getpid()) + " on host") ==
          0);
    auto probe = probe_lock(path);
    REQUIRE(probe.ok());
    CHECK(probe->held);

    first.release();
    CHECK(::access(path.c_str(), F_OK) != 0);  // a clean release removes the file

    spit(path, "pid 999999999\nhost " + this_host() + "\nsince 2026-01-01T00:00:00Z\nrun R0\n");
    auto stale = probe_lock(path);
    REQUIRE(stale.ok());
    CHECK(stale->exists);
    CHECK_FALSE(stale->held);
    RunLock third;
    auto taken = third.acquire(path);
    REQUIRE(taken.ok());
    CHECK(*taken == RunLock::Outcome::Acquired);
    REQUIRE(third.stale().has_value());
    CHECK(third.stale()->pid == 999999999);
    CHECK_FALSE(third.stale()->alive_here);
    CHECK(third.stale()->run == "R0"s);
  }

  TEST_CASE("a lock still held after its holder died is waited for (a child not yet exec'd)" *
            doctest::timeout(30)) {
    TempDir t;
    const std::string path = t.path("lock");
    RunLock first;
    REQUIRE(first.acquire(path).ok());
    // The holder named in the file is gone, yet the lock is held (here: by `first`).
    spit(path, "pid 999999999\nhost " + this_host() + "\nsince 2026-01-01T00:00:00Z\n");
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      first.release();
    });
    RunLock second;
    auto t0 = std::chrono::steady_clock::now();
    auto got = second.acquire(path);
    auto waited = std::chrono::steady_clock::now() - t0;
    releaser.join();
    REQUIRE(got.ok());
    CHECK(*got == RunLock::Outcome::Acquired);
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(waited < RunLock::kOrphanWait);
  }

  TEST_CASE("the vars file keeps real values (secrets too), the salt and --fact overrides") {
    TempDir t;
    Diagnostics d;
    auto plan = load_plan_text(R"([plan]
name = "v"
[vars]
plain = "x"
n = 3
flag = true
items = ["a", "b c"]
[vars.password]
default = "p\"q\\r\n\u0001"
secret = true
)",
                               "v.toml", d);
    REQUIRE(plan.has_value());
    VarValues vars = resolve_vars(*plan, {}, d);
    REQUIRE_FALSE(d.has_errors());
    const std::string path = t.path("vars.toml");
    REQUIRE(write_run_vars(path, "test", *plan, vars, "salty", {{"os_family", "rhel"}}).ok());
    CHECK(mode_of(path) == 0600);
    StoredVars back = read_run_vars(path, d);
    std::ostringstream diag;
    d.print(diag);
    INFO(diag.str());
    REQUIRE_FALSE(d.has_errors());
    CHECK(back.salt == "salty"s);
    REQUIRE(back.facts.size() == 1);
    CHECK(back.facts[0].second == "rhel"s);
    VarValues again = resolve_vars(*plan, back.overrides, d);
    REQUIRE_FALSE(d.has_errors());
    for (const auto& [name, value] : vars) {
      INFO(name);
      CHECK(again.at(name).same_as(value));
    }
    CHECK(again.at("password").as_string() == "p\"q\\r\n\x01"s);
  }

  TEST_CASE("a chain of N steps costs one sync per step; each end is synced before its dependent") {
    std::string toml;
    for (int i = 1; i <= 30; ++i) {
      toml += "[steps.s" + std::to_string(i) + "]\nkind = \"job\"\n";
      if (i > 1) toml += "requires = [\"s" + std::to_string(i - 1) + "\"]\n";
    }
    Run r(toml, 4, {}, /*start_now=*/false);
    std::map<std::string, size_t> synced_at_launch;  // events made durable when it started
    r.disp.observe = [&](const Launch& l) {
      synced_at_launch[l.ctx.step_id] = r.sink.syncs.empty() ? 0 : r.sink.syncs.back();
    };
    r.sched->start();
    for (int i = 1; i <= 30; ++i) r.finish("s" + std::to_string(i), ok());
    REQUIRE(r.sched->finished());
    CHECK(r.sched->syncs() <= 31);  // 29 between steps + the end
    CHECK(r.sched->syncs() == static_cast<int>(r.sink.syncs.size()));
    for (int i = 2; i <= 30; ++i) {
      size_t end = index_of<StepFinished>(r.sink, "s" + std::to_string(i - 1));
      CHECK(synced_at_launch["s" + std::to_string(i)] > end);
    }
    CHECK(r.sink.syncs.back() == r.sink.events.size());  // run_finished is synced
  }

  TEST_CASE("a turn that syncs does so before the other sinks are flushed") {
    // The step logs' writer creates files at flush(); done during the journal's fdatasync, that
    // holds up the file system commit the sync waits for (tests/bench/README.md).
    Run r(kChain, 4, {}, /*start_now=*/false);
    std::string calls_at_launch;
    r.disp.observe = [&](const Launch& l) {
      if (l.ctx.step_id == "b") calls_at_launch = r.sink.calls;
    };
    r.sched->start();
    r.finish("a", ok());
    REQUIRE(r.running("b"));
    REQUIRE(calls_at_launch.size() >= 2);
    CHECK(calls_at_launch.substr(calls_at_launch.size() - 2) == "sf"s);
  }

  TEST_CASE("a wide wave finishing costs one sync, also when slots free up one by one") {
    for (int jobs : {30, 2}) {
      INFO("-j " << jobs);
      std::string toml;
      for (int i = 1; i <= 30; ++i) toml += "[steps.w" + std::to_string(i) + "]\nkind = \"job\"\n";
      toml += "[steps.join]\nkind = \"job\"\nrequires = [";
      for (int i = 1; i <= 30; ++i) toml += (i > 1 ? ", \"w" : "\"w") + std::to_string(i) + "\"";
      toml += "]\n";
      Run r(toml, jobs);
      while (!r.disp.active.empty() && r.disp.active.front().ctx.step_id != "join")
        r.finish(r.disp.active.front().ctx.step_id, ok());
      REQUIRE(r.running("join"));
      r.finish("join", ok());
      REQUIRE(r.sched->finished());
      CHECK(r.sched->syncs() == 2);  // before `join` starts, and at the end
    }
  }

  TEST_CASE("a step that is not idempotent starts only once its start record is synced") {
    Run r(R"(
[steps.a]
kind = "job"
[steps.once]
kind = "job"
idempotent = false
)",
          4);
    size_t start = index_of<StepStarted>(r.sink, "once");
    REQUIRE(start < r.sink.events.size());
    REQUIRE(r.sink.syncs.size() == 1);
    CHECK(r.sink.syncs[0] > start);  // the start record was synced before the launch
    CHECK(r.running("once"));
  }

  TEST_CASE("step_started carries a fingerprint of kind and resolved params") {
    Run r1(kChain, 4, salted());
    Run r2(kChain, 4, salted());
    Run other(
        std::string(kChain).replace(std::string(kChain).find("msg = \"a\""), 9, "msg = \"z\""), 4,
        salted());
    auto fp = [](Run& r) { return r.sink.find<StepStarted>("a")->fingerprint; };
    CHECK(fp(r1).size() == 64);
    CHECK(fp(r1) == fp(r2));
    CHECK(fp(r1) != fp(other));
    SchedulerOptions unsalted;
    Run r3(kChain, 4, unsalted);
    CHECK(fp(r1) != fp(r3));  // the salt is part of it
  }

  TEST_CASE("resume after a crash: done steps kept, the interrupted one again, then the rest") {
    Run before(kChain, 4, salted());
    before.finish("a", ok({{"v", Value("1")}}));
    REQUIRE(before.running("b"));  // ordo dies here
    Run now(kChain, 4, salted(), /*start_now=*/false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "a") == A::Keep);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "was interrupted (started, never finished)"s);
    CHECK(rc.action(now, "c") == A::Fresh);

    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    CHECK(seed.info.resumes == 1);
    CHECK(seed.info.kept == std::vector<std::string>{"a"});
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(kChain, 4, o);
    CHECK(after.disp.starts == std::vector<std::string>{"b#1"});
    CHECK(event_type_name(after.sink.events.front().body) == "run_resumed"s);
    after.finish("b", ok());
    after.finish("c", ok());
    REQUIRE(after.sched->finished());
    CHECK(after.sched->summary().outcome == RunOutcome::Succeeded);
    CHECK(after.sched->summary().counts.succeeded == 3);
    CHECK(after.status("a") == "succeeded"s);
    CHECK_FALSE(after.sink.find<StepStarted>("a").has_value());
    // The journal of both parts reads as one run.
    std::string whole = journal_text(before.sink) + journal_text(after.sink);
    auto j = parse_journal(whole, "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    CHECK(j->finished);
    CHECK(j->resumes == 1);
    CHECK(j->record.find("b")->state == StepState::Succeeded);
    CHECK(j->record.find("b")->attempts.size() == 2);
  }

  TEST_CASE("resume: a torn last journal line is dropped and the step before it decides") {
    Run before(kChain, 4, salted());
    before.finish("a", ok());
    std::string text = journal_text(before.sink);
    text += "{\"v\":1,\"t\":\"step_finished\",\"ts\":\"2026-11-2";  // cut mid-write
    auto j = parse_journal(text, "/tmp/x/journal.jsonl");
    REQUIRE(j.ok());
    CHECK(j->record.torn_lines == 1);
    CHECK(j->record.find("b")->state == StepState::Running);
    CHECK(j->unfinished());
  }

  TEST_CASE("resume: an interrupted step that is not idempotent is left to the user") {
    const char* plan = R"(
[steps.a]
kind = "job"
[steps.once]
kind = "job"
idempotent = false
requires = ["a"]
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    REQUIRE(before.running("once"));
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "once") == A::Ask);
    CHECK(rc.plan.asks() == std::vector<int>{now.index("once")});
    rc.plan.steps[static_cast<size_t>(now.index("once"))].action = A::Skip;
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    REQUIRE(after.sched->finished());
    CHECK(after.disp.starts.empty());
    CHECK(after.status("once") == "skipped"s);
    CHECK(after.reason("once").find("--skip-interrupted") != std::string::npos);
    CHECK(seed.info.skipped == std::vector<std::string>{"once"});
    // A later resume keeps the choice.
    auto j = parse_journal(journal_text(before.sink) + journal_text(after.sink), "/x/j.jsonl");
    REQUIRE(j.ok());
    CHECK(j->skipped_by_choice.count("once") == 1);
  }

  TEST_CASE("resume: a step whose params changed runs again and says why; its dependents too") {
    const char* plan = R"(
[vars]
msg = "one"
[steps.a]
kind = "job"
msg = "${msg}"
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
requires = ["b"]
[steps.other]
kind = "job"
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    before.finish("other", ok());
    before.finish("b", ok());
    REQUIRE(before.running("c"));
    Run now(plan, 4, salted(), false);
    Diagnostics d;
    now.vars = resolve_vars(now.plan, {VarOverride{"msg", "two", std::nullopt, {}}}, d);
    REQUIRE_FALSE(d.has_errors());
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "a") == A::Rerun);
    CHECK(rc.reason(now, "a") == "changed since the interrupted run (params differ)"s);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "depends on a, which runs again"s);
    CHECK(rc.action(now, "other") == A::Keep);
    // Unchanged vars: everything done is kept.
    Run same(plan, 4, salted(), false);
    ResumeCase rc2(before, same);
    CHECK(rc2.action(same, "a") == A::Keep);
    CHECK(rc2.action(same, "b") == A::Keep);
  }

  TEST_CASE("resume after a failure: the failed step and the cleanup after it run again") {
    const char* plan = R"(
[steps.a]
kind = "job"
[steps.b]
kind = "job"
requires = ["a"]
[steps.cleanup]
kind = "job"
always = true
after = ["b"]
)";
    Run before(plan, 4, salted());
    before.finish("a", ok());
    before.finish("b", fail());
    before.finish("cleanup", ok());
    REQUIRE(before.sched->finished());
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.journal.finished);
    CHECK(rc.action(now, "a") == A::Keep);
    CHECK(rc.action(now, "b") == A::Rerun);
    CHECK(rc.reason(now, "b") == "failed in the interrupted run"s);
    CHECK(rc.action(now, "cleanup") == A::Rerun);
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    CHECK(after.disp.starts == std::vector<std::string>{"b#1"});
    after.finish("b", ok());
    after.finish("cleanup", ok());
    REQUIRE(after.sched->finished());
    CHECK(after.sched->summary().outcome == RunOutcome::Succeeded);
  }

  TEST_CASE("resume: a watcher's fired count carries over; it starts again with its steps") {
    const char* plan = R"(
[steps.x]
kind = "job"
[steps.y]
kind = "job"
requires = ["x"]
[steps.w]
kind = "watch"
watches = ["x", "y"]
[steps.fix]
kind = "job"
triggered_by = "w"
[steps.reload]
kind = "job"
requires = ["y"]
when = "steps.w.fired == 0"
)";
    Run before(plan, 4, salted());
    REQUIRE(before.running("w"));
    before.fire("w");
    before.finish("fix", ok());
    before.finish("x", ok());
    REQUIRE(before.running("y"));  // crash while y runs
    Run now(plan, 4, salted(), false);
    ResumeCase rc(before, now);
    CHECK(rc.action(now, "x") == A::Keep);
    CHECK(rc.action(now, "y") == A::Rerun);
    CHECK(rc.action(now, "w") == A::Fresh);
    CHECK(rc.reason(now, "w") == "starts again with the steps it watches"s);
    ResumeSeed seed = make_resume_seed(*rc.in, rc.plan, std::chrono::system_clock::now());
    CHECK(seed.steps[static_cast<size_t>(now.index("w"))].fired == 1);
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(plan, 4, o);
    REQUIRE(after.running("y"));
    REQUIRE(after.running("w"));  // beside the watched step that runs again
    CHECK(after.st("w").fired == 1);
    after.fire("w");  // a fresh max_fires budget for the restarted watcher
    CHECK(after.st("w").fired == 2);
    REQUIRE(after.running("fix"));
    after.finish("fix", ok());
    after.finish("y", ok());
    CHECK(after.stop_requested("w"));  // its watched steps are done
    after.finish("w", with_status(Outcome::Status::Cancelled));
    REQUIRE(after.sched->finished());
    CHECK(after.status("reload") == "skipped"s);  // steps.w.fired is not 0
    CHECK(after.st("fix").runs == 2);
  }

  TEST_CASE("resumed mono_ms continue after the earlier part's") {
    Run before(kChain, 4, salted());
    before.clock.advance(Millis(5000));
    before.finish("a", ok());
    Run now(kChain, 4, salted(), false);
    ResumeCase rc(before, now);
    ResumeSeed seed =
        make_resume_seed(*rc.in, rc.plan, before.clock.wall_now() + std::chrono::seconds(60));
    CHECK(seed.mono_offset == Millis(65000));
    SchedulerOptions o = salted();
    o.resume = &seed;
    Run after(kChain, 4, o);
    CHECK(after.sink.events.front().mono == Millis(65000));
  }
}
