// Durable runs end to end with the real binary (ORDO_BIN): `ordo run` killed with SIGKILL in the
// middle of a step, then `ordo resume` (torn journal line, changed params, steps that are not
// idempotent, with and without a terminal), the run lock (a second run refused, a dead holder's
// lock taken over, `ordo unlock`), `ordo run` refused while a run is unfinished and `--fresh`,
// `ordo status` and its JSON, and the journal's fdatasync count. Each test works in its own
// scratch directory under /tmp, removed when the test passes.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"

using namespace std::string_literals;

namespace {

using cli_test::exists;
using cli_test::ordo_bin;
using cli_test::read_file;
using cli_test::write_file;

// A scratch directory per test case (cli_test_util.h).
struct Scratch : cli_test::Scratch {
  Scratch() : cli_test::Scratch("ordo-resume-test") {}
};

// A process in `dir` with stdout/stderr to files there and stdin from /dev/null (or `in`).
struct Proc {
  pid_t pid = -1;
  std::string dir, tag;
  Proc(const std::string& d, const std::vector<std::string>& argv, const std::string& t = "ordo",
       const std::vector<std::string>& env = {}, const std::string& in = "/dev/null")
      : dir(d), tag(t) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(126);
      int o = ::open((tag + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open((tag + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int i = ::open(in.c_str(), O_RDONLY);
      ::dup2(o, 1);
      ::dup2(e, 2);
      ::dup2(i, 0);
      for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  int wait(int seconds = 60) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  std::string out() const { return read_file(dir + "/" + tag + ".out"); }
  std::string err() const { return read_file(dir + "/" + tag + ".err"); }
};

std::vector<std::string> ordo_args(std::vector<std::string> args) {
  args.insert(args.begin(), ordo_bin());
  for (const char* a : {"--state-dir", "st", "--no-color"}) args.push_back(a);
  return args;
}

// Runs `ordo ARGS --state-dir st --no-color` to the end.
struct Result {
  int rc;
  std::string out, err;
};
Result ordo(const Scratch& s, std::vector<std::string> args,
            const std::vector<std::string>& env = {}) {
  Proc p(s.dir, ordo_args(std::move(args)), "ordo", env);
  int rc = p.wait();
  INFO("ordo stdout:\n" << p.out() << "\nstderr:\n" << p.err());
  CHECK(rc >= 0);
  return {rc, p.out(), p.err()};
}

bool wait_for_file(const std::string& path, int seconds = 30) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (exists(path) && !read_file(path).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// `first` appends to the ledger, `hang` blocks (until the file `go` exists), `last` after it.
// `$$$$` is the shell's `$$` (a `$$` in a plan is a literal `$`).
std::string crash_plan(bool hang_idempotent = true) {
  return R"([plan]
name = "crashy"

[vars]
msg = "one"

[steps.first]
kind = "shell"
script = "echo first ${msg} >> ledger.txt"

[steps.hang]
kind = "shell"
requires = ["first"]
)" + std::string(hang_idempotent ? "" : "idempotent = false\n") +
         R"(script = "if [ -f go ]; then echo hang >> ledger.txt; exit 0; fi; echo $$$$ > hang.pid; exec sleep 30"

[steps.last]
kind = "shell"
requires = ["hang"]
script = "echo last >> ledger.txt"
)";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Starts `ordo run`, waits until `hang` is running, then SIGKILLs ordo (and the orphaned step).
// Returns the run id.
std::string run_and_crash(const Scratch& s, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", "plan.toml", "--no-report"};
  args.insert(args.end(), extra.begin(), extra.end());
  ::unlink(s.path("hang.pid").c_str());
  Proc p(s.dir, ordo_args(args), "crashed");
  REQUIRE(wait_for_file(s.path("hang.pid")));
  // Step logs are written by a writer thread after the turn (the journal is the durable
  // record; a kill -9 may take a log's last lines with it): let `first`'s log reach its file.
  Proc log(s.dir,
           {"/bin/sh", "-c",
            "for i in $(seq 200); do ls -t st/crashy/runs/*/steps/first.log >/dev/null 2>&1 && "
            "exit 0; sleep 0.05; done; exit 1"},
           "wait for first.log");
  CHECK(log.wait() == 0);
  ::kill(p.pid, SIGKILL);
  CHECK(p.wait() == 128 + SIGKILL);
  ::kill(std::stoi(read_file(s.path("hang.pid"))), SIGKILL);
  // The run's id: the newest directory under st/crashy/runs.
  Proc ls(s.dir, {"/bin/sh", "-c", "ls -t st/crashy/runs | head -1"}, "ls");
  REQUIRE(ls.wait() == 0);
  std::string id = ls.out();
  while (!id.empty() && id.back() == '\n') id.pop_back();
  REQUIRE_FALSE(id.empty());
  return id;
}

std::string journal_of(const Scratch& s, const std::string& run_id) {
  return s.path("st/crashy/runs/" + run_id + "/journal.jsonl");
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// "ordo: journal: N fdatasyncs ..." -> N
int syncs_in(const std::string& err) {
  std::smatch m;
  REQUIRE(std::regex_search(err, m, std::regex("journal: ([0-9]+) fdatasyncs")));
  return std::stoi(m[1]);
}

}  // namespace

TEST_SUITE("resume_cli") {
  TEST_CASE("ordo run refuses while a run is unfinished; --fresh abandons it" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string old = run_and_crash(s);
    write_file(s.path("go"), "");

    Result refused = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(refused.rc == 3);
    CHECK(has(refused.err, "plan crashy has an unfinished run: " + old));
    CHECK(has(refused.err, "ordo resume plan.toml"));
    CHECK(has(refused.err, "ordo run --fresh plan.toml"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) == std::vector<std::string>{"first one"});

    Result fresh = ordo(s, {"run", "plan.toml", "--no-report", "--fresh"});
    CHECK(fresh.rc == 0);
    CHECK(has(fresh.err, "run " + old + " marked abandoned"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
          std::vector<std::string>{"first one", "first one", "hang", "last"});
    std::vector<std::string> old_journal = lines_of(read_file(journal_of(s, old)));
    REQUIRE_FALSE(old_journal.empty());
    auto abandoned = nlohmann::json::parse(old_journal.back());
    CHECK(abandoned["t"] == "run_abandoned");
    Result status = ordo(s, {"status", "plan.toml", old});
    CHECK(status.rc == 0);
    CHECK(has(status.out, "Run " + old + " of plan crashy: abandoned"));
    // Now nothing is unfinished: a plain run goes ahead.
    CHECK(ordo(s, {"run", "plan.toml", "--no-report"}).rc == 0);
  }

  TEST_CASE("a torn last journal line is cut off and the run resumes" * doctest::timeout(90) *
            doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string id = run_and_crash(s);
    // Cut the last record in half, as a crash in the middle of write(2) would.
    std::string journal = read_file(journal_of(s, id));
    // The killed ordo left the zero tail of its preallocated journal (journal.h): not a record.
    journal.erase(journal.find_last_not_of('\0') + 1);
    REQUIRE(journal.size() > 2);
    size_t last_start = journal.rfind('\n', journal.size() - 2) + 1;
    std::string torn = journal.substr(0, last_start + (journal.size() - last_start) / 2);
    write_file(journal_of(s, id), torn);
    write_file(s.path("go"), "");

    Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(r.rc == 0);
    CHECK(has(r.err, "cut off mid-write"));
    CHECK(has(r.out, "keeping 1 step done earlier: first"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
          std::vector<std::string>{"first one", "hang", "last"});
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["state"] == "finished");
    CHECK(status["outcome"] == "succeeded");
    CHECK(status["resumes"] == 1);
  }

  TEST_CASE("a resumed run that finished reads as succeeded: status, attempts, report" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string id = run_and_crash(s);
    write_file(s.path("go"), "");
    Result r = ordo(s, {"resume", "plan.toml"});  // with its report
    REQUIRE(r.rc == 0);
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["state"] == "finished");
    CHECK(status["outcome"] == "succeeded");
    CHECK(status["resumes"] == 1);
    std::map<std::string, nlohmann::json> steps;
    for (const auto& st : status["steps"]) steps[st["step"].get<std::string>()] = st;
    CHECK(steps["first"]["state"] == "succeeded");
    CHECK(steps["first"]["attempts"] == 1);
    CHECK(steps["hang"]["state"] == "succeeded");
    CHECK(steps["hang"]["attempts"] == 2);  // the one the kill cut off, and the resumed one
    CHECK(steps["last"]["state"] == "succeeded");
    // The report of the whole run (both parts, from the journal) says it succeeded.
    std::string report = read_file(s.path("st/crashy/runs/" + id + "/report.html"));
    REQUIRE_FALSE(report.empty());
    CHECK(has(report, "class=\"banner succeeded\""));
    CHECK_FALSE(has(report, "has no end record"));
    CHECK_FALSE(has(report, "run aborted at"));
  }

  TEST_CASE("a failed run that was fixed and resumed: its report no longer shows the abort" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), R"([plan]
name = "crashy"

[steps.a]
kind = "shell"
script = "true"

[steps.b]
kind = "shell"
requires = ["a"]
script = "test -f go"

[steps.c]
kind = "shell"
requires = ["b"]
script = "true"
)");
    REQUIRE(ordo(s, {"run", "plan.toml", "--no-report"}).rc == 1);
    auto first = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    std::string id = first["run"].get<std::string>();
    REQUIRE(has(read_file(journal_of(s, id)), "\"t\":\"run_aborting\""));
    write_file(s.path("go"), "");
    REQUIRE(ordo(s, {"resume", "plan.toml"}).rc == 0);
    std::string report = read_file(s.path("st/crashy/runs/" + id + "/report.html"));
    REQUIRE_FALSE(report.empty());
    CHECK(has(report, "class=\"banner succeeded\""));
    CHECK_FALSE(has(report, "run aborted at"));  // the first part's abort is over
    auto status = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(status["outcome"] == "succeeded");
  }

  TEST_CASE("a step whose params changed runs again on resume, and says why" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr)) {
    SUBCASE("--set a variable") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s);
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--set", "msg=two"});
      CHECK(r.rc == 0);
      CHECK(has(r.out,
                "step first changed since the interrupted run (params differ): running it again"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "first two", "hang", "last"});
    }
    SUBCASE("edit the plan") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s);
      std::string plan = crash_plan();
      plan.replace(plan.find("echo first"), 10, "echo FIRST");
      write_file(s.path("plan.toml"), plan);
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
      CHECK(r.rc == 0);
      CHECK(has(r.out, "the plan changed since that run (plan.toml)"));
      CHECK(has(r.out,
                "step first changed since the interrupted run (params differ): running it again"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "FIRST one", "hang", "last"});
    }
    SUBCASE("unchanged: kept, and the run's own variables are used") {
      Scratch s;
      INFO("scratch dir: " << s.dir);
      write_file(s.path("plan.toml"), crash_plan());
      run_and_crash(s, {"--set", "msg=custom"});
      write_file(s.path("go"), "");
      Result r = ordo(s, {"resume", "plan.toml", "--no-report"});
      CHECK(r.rc == 0);
      CHECK_FALSE(has(r.out, "changed"));
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first custom", "hang", "last"});
    }
  }

  TEST_CASE("an interrupted step that is not idempotent: exit 3 without a terminal; the flags" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan(/*hang_idempotent=*/false));
    run_and_crash(s);
    write_file(s.path("go"), "");
    Result refused = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(refused.rc == 3);
    CHECK(has(refused.err, "step hang was interrupted (started, never finished)"));
    CHECK(has(refused.err, "--rerun-interrupted"));
    CHECK(has(refused.err, "--skip-interrupted"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) == std::vector<std::string>{"first one"});

    SUBCASE("--skip-interrupted") {
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--skip-interrupted"});
      CHECK(r.rc == 0);
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "last"});
      auto st = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
      CHECK(st["steps"][1]["step"] == "hang");
      CHECK(st["steps"][1]["state"] == "skipped");
    }
    SUBCASE("--rerun-interrupted") {
      Result r = ordo(s, {"resume", "plan.toml", "--no-report", "--rerun-interrupted"});
      CHECK(r.rc == 0);
      CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
            std::vector<std::string>{"first one", "hang", "last"});
    }
    SUBCASE("both flags: a usage error") {
      CHECK(ordo(s, {"resume", "plan.toml", "--rerun-interrupted", "--skip-interrupted"}).rc == 2);
    }
  }

  TEST_CASE("on a terminal, resume asks about an interrupted step that is not idempotent" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr) *
            doctest::skip(::access("/usr/bin/script", X_OK) != 0)) {
    for (std::string answer : {"s", "r"}) {
      Scratch s;
      INFO("scratch dir: " << s.dir << ", answer " << answer);
      write_file(s.path("plan.toml"), crash_plan(false));
      run_and_crash(s);
      write_file(s.path("go"), "");
      write_file(s.path("answer.txt"), answer + "\n");
      std::string cmd = std::string(ordo_bin()) + " resume plan.toml --state-dir st --no-report";
      Proc p(s.dir, {"/usr/bin/script", "-qec", cmd, "/dev/null"}, "tty", {}, s.path("answer.txt"));
      CHECK(p.wait() == 0);
      INFO("terminal:\n" << p.out());
      CHECK(has(p.out(), "Run it again? [r]un again / [s]kip it / [a]bort the resume:"));
      std::vector<std::string> want = answer == "s"
                                          ? std::vector<std::string>{"first one", "last"}
                                          : std::vector<std::string>{"first one", "hang", "last"};
      CHECK(lines_of(read_file(s.path("ledger.txt"))) == want);
    }
  }

  TEST_CASE("one run of a plan at a time: a second run or resume is refused, naming the holder" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    Proc first(s.dir, ordo_args({"run", "plan.toml", "--no-report"}), "first");
    REQUIRE(wait_for_file(s.path("hang.pid")));
    const std::string holder =
        "plan crashy is being run by pid " + std::to_string(first.pid) + " on host ";
    Result second = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(second.rc == 3);
    CHECK(has(second.err, holder));
    CHECK(has(second.err, "(run 20"));
    Result resume = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(resume.rc == 3);
    CHECK(has(resume.err, holder));
    Result unlock = ordo(s, {"unlock", "plan.toml"});
    CHECK(unlock.rc == 3);
    CHECK(has(unlock.err, "not removing the lock of a live run"));
    Result status = ordo(s, {"status", "crashy"});
    CHECK(has(status.out, ": running (pid " + std::to_string(first.pid)));
    CHECK(has(status.out, "hang"));

    ::kill(first.pid, SIGTERM);  // stops `hang`, ends the run as interrupted
    CHECK(first.wait() == 130);
    CHECK_FALSE(exists(s.path("st/crashy/lock")));
  }

  TEST_CASE("a lock left by a dead process is taken over with a warning; ordo unlock removes one" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    write_file(s.path("go"), "");
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const std::string stale = "pid 999999999\nhost " + std::string(host) +
                              "\nsince 2026-01-01T00:00:00.000Z\nrun 20260101T000000Z-dead\n";
    REQUIRE(::mkdir(s.path("st").c_str(), 0700) == 0);
    REQUIRE(::mkdir(s.path("st/crashy").c_str(), 0700) == 0);
    write_file(s.path("st/crashy/lock"), stale);

    Result r = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(r.rc == 0);
    CHECK(has(r.err, "warning: taking over the lock of plan crashy left by pid 999999999"));
    CHECK(has(r.err, "(run 20260101T000000Z-dead): that process is gone"));
    CHECK_FALSE(exists(s.path("st/crashy/lock")));

    write_file(s.path("st/crashy/lock"), stale);
    Result u = ordo(s, {"unlock", "crashy"});
    CHECK(u.rc == 0);
    CHECK(has(u.out, "Removed the stale lock of plan crashy left by pid 999999999"));
    CHECK_FALSE(exists(s.path("st/crashy/lock")));
    Result again = ordo(s, {"unlock", "plan.toml"});
    CHECK(again.rc == 0);
    CHECK(has(again.out, "is not locked"));
  }

  TEST_CASE("ordo status: each step's outcome, attempts, times and log; --json" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string id = run_and_crash(s);

    Result text = ordo(s, {"status", "plan.toml"});
    CHECK(text.rc == 0);
    CHECK(has(text.out, "Run " + id + " of plan crashy: unfinished"));
    CHECK(has(text.out, "continue it: ordo resume plan.toml"));
    std::regex first_row("\nfirst +succeeded +1 +[0-9:]{8} +[0-9:]{8} +[0-9.]+s +st/crashy/runs/" +
                         id + "/steps/first.log\n");
    CHECK(std::regex_search(text.out, first_row));
    CHECK(std::regex_search(text.out, std::regex("\nhang +interrupted +1 +[0-9:]{8} +- ")));
    CHECK(std::regex_search(text.out, std::regex("\nlast +not_run +0 +- +- +- +-\n")));

    auto j = nlohmann::json::parse(ordo(s, {"status", "plan.toml", "--json"}).out);
    CHECK(j["run"] == id);
    CHECK(j["plan"] == "crashy");
    CHECK(j["state"] == "unfinished");
    CHECK(j["outcome"].is_null());
    REQUIRE(j["steps"].size() == 3);
    CHECK(j["steps"][0]["step"] == "first");
    CHECK(j["steps"][0]["state"] == "succeeded");
    CHECK(j["steps"][0]["attempts"] == 1);
    CHECK(j["steps"][0]["duration_ms"].is_number());
    CHECK(exists(s.path(j["steps"][0]["log"].get<std::string>())));
    CHECK(j["steps"][1]["state"] == "interrupted");
    CHECK(j["steps"][1]["ended_at"].is_null());
    CHECK(j["steps"][2]["state"] == "not_run");

    write_file(s.path("go"), "");
    REQUIRE(ordo(s, {"resume", "plan.toml", "--no-report"}).rc == 0);
    auto done = nlohmann::json::parse(ordo(s, {"status", "crashy", id, "--json"}).out);
    CHECK(done["state"] == "finished");
    CHECK(done["outcome"] == "succeeded");
    CHECK(done["resumes"] == 1);
    CHECK(done["steps"][1]["attempts"] == 2);  // interrupted, then again
    CHECK(done["steps"][2]["state"] == "succeeded");
    CHECK(ordo(s, {"status", "crashy", "20990101T000000Z-none"}).rc == 2);
  }

  TEST_CASE("journal syncs: a 30-step chain ~1 per step, a 30-wide wave finishing together ~1" *
            doctest::timeout(120) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    std::string chain = "[plan]\nname = \"chain\"\n", wide = "[plan]\nname = \"wide\"\n";
    for (int i = 1; i <= 30; ++i) {
      std::string id = std::to_string(i);
      chain += "[steps.s" + id + "]\nkind = \"exec\"\nargv = [\"true\"]\n";
      if (i > 1) chain += "requires = [\"s" + std::to_string(i - 1) + "\"]\n";
      wide += "[steps.w" + id + "]\nkind = \"exec\"\nargv = [\"true\"]\n";
    }
    wide += "[steps.join]\nkind = \"exec\"\nargv = [\"true\"]\nrequires = [";
    for (int i = 1; i <= 30; ++i) wide += (i > 1 ? ", \"w" : "\"w") + std::to_string(i) + "\"";
    wide += "]\n";
    write_file(s.path("chain.toml"), chain);
    write_file(s.path("wide.toml"), wide);
    const std::vector<std::string> env = {"ORDO_DEBUG_SYNCS=1"};

    Result c = ordo(s, {"run", "chain.toml", "--no-report", "-j", "4"}, env);
    REQUIRE(c.rc == 0);
    int chain_syncs = syncs_in(c.err);
    CHECK(chain_syncs >= 29);  // each step's end is synced before the next starts
    CHECK(chain_syncs <= 32);
    for (const char* jobs : {"31", "2"}) {
      Result w = ordo(s, {"run", "wide.toml", "--no-report", "-j", jobs}, env);
      REQUIRE(w.rc == 0);
      INFO("-j " << jobs);
      CHECK(syncs_in(w.err) <= 3);  // before `join`, and at the end
    }
  }
}
