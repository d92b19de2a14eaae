// The journal file: SHA-256 (its fingerprints), the journal sink's group commit and syncs,
// torn and zero-filled tails cut before appending, and replay of what is left; files in a
// scratch directory.
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
#include "journal_test_util.h"
#include "resume.h"
#include "run_lock.h"
#include "run_vars.h"
#include "sched_fakes.h"
#include "sha256.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;
using namespace journal_test;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Event ev(EventBody body) {
  return Event{std::chrono::system_clock::now(), Millis(0), std::move(body)};
}

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
}
