// What the journal of a durable run gives, end to end with the real binary (ORDO_BIN): `ordo
// status` and its JSON read from it, before and after a resume, and the number of fdatasyncs
// it costs (a chain: about one per step; a wide wave: about one). Each test works in its own
// scratch directory under /tmp, removed when the test passes (resume_test_util.h).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "resume_test_util.h"

using namespace resume_test;
using namespace std::string_literals;

TEST_SUITE("resume_cli") {
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
    // `last` printed nothing and succeeded: no log file, and status says so.
    CHECK(done["steps"][2]["log"].is_null());
    CHECK(std::regex_search(ordo(s, {"status", "crashy", id}).out,
                            std::regex("\nlast +succeeded +1 +[0-9:]{8} +[0-9:]{8} +[0-9.]+s +"
                                       "\\(no output\\)\n")));
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
