// Unit tests: finding runs in the state dir (locate_run, list_runs: a run id, an events file,
// or the last run with a journal) and the last lines of a step's log (tail_lines).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "render/report.h"
#include "run_record.h"
#include "run_record_test_util.h"

using namespace ordo;
using namespace run_record_test;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// A scratch directory removed at the end of the scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-runrec-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_SUITE("run_record") {
  TEST_CASE("locate_run: a run id, a file, or the last run with a journal") {
    ScratchDir dir;
    std::string state = dir.path.string();
    auto make = [&](const std::string& id, bool journal) {
      fs::create_directories(dir.path / "p/runs" / id);
      if (journal) std::ofstream(dir.path / "p/runs" / id / "journal.jsonl") << fixture_text();
    };
    auto none = locate_run(state, "p", "");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("no runs of plan p") != std::string::npos);
    make("20261126T010000Z-aaaa", true);
    make("20261126T020000Z-0001", true);
    make("20261126T030000Z-ffff", false);  // the newest has no journal (yet)
    CHECK(list_runs(state, "p") == std::vector<std::string>{"20261126T010000Z-aaaa",
                                                            "20261126T020000Z-0001",
                                                            "20261126T030000Z-ffff"});
    auto last = locate_run(state, "p", "");
    REQUIRE(last.ok());
    CHECK(last->run_dir == state + "/p/runs/20261126T020000Z-0001");
    CHECK(last->record == last->run_dir + "/journal.jsonl");
    auto by_id = locate_run(state, "p", "20261126T010000Z-aaaa");
    REQUIRE(by_id.ok());
    CHECK(by_id->run_dir == state + "/p/runs/20261126T010000Z-aaaa");
    auto no_journal = locate_run(state, "p", "20261126T030000Z-ffff");
    REQUIRE_FALSE(no_journal.ok());
    CHECK(no_journal.error().message.find("has no journal") != std::string::npos);
    CHECK_FALSE(locate_run(state, "p", "20990101T000000Z-0000").ok());
    // An events file anywhere: its run directory is found later from the record.
    std::ofstream(dir.path / "events.jsonl") << fixture_text();
    auto file = locate_run(state, "p", (dir.path / "events.jsonl").string());
    REQUIRE(file.ok());
    CHECK(file->run_dir.empty());
    CHECK_FALSE(locate_run(state, "p", (dir.path / "missing.jsonl").string()).ok());
  }

  TEST_CASE("tail_lines keeps the last lines of a large file") {
    ScratchDir dir;
    fs::path log = dir.path / "big.log";
    {
      std::ofstream out(log);
      for (int i = 0; i < 100000; ++i) out << "line " << i << "\n";
    }
    auto lines = tail_lines(log.string(), 40);
    REQUIRE(lines.size() == 40);
    CHECK(lines.front() == "line 99960"s);
    CHECK(lines.back() == "line 99999"s);
    CHECK(tail_lines((dir.path / "none.log").string(), 40).empty());
  }
}
