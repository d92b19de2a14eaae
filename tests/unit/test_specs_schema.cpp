// Unit tests: the plan JSON Schema generated from the kinds' tables: deterministic, covering
// every kind and parameter, and schemas/plan.schema.json equal to `ordo schema`.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "builtin.h"
#include "schema.h"
#include "specs_test_util.h"

using namespace ordo;
using namespace specs_test;
using namespace std::string_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first line where a and b differ (1-based), for a readable failure message.
int first_difference(const std::string& a, const std::string& b) {
  int line = 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return line;
    if (a[i] == '\n') ++line;
  }
  return line;
}

}  // namespace

TEST_SUITE("specs") {
  TEST_CASE("the schema is deterministic and covers every kind and parameter") {
    std::string a = plan_json_schema(registry());
    Registry other = builtin_registry();
    CHECK(a == plan_json_schema(other));
    CHECK(a.starts_with("{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"));
    CHECK(a.ends_with("}\n"));
    for (const auto& e : registry().all()) {
      INFO("kind ", e->spec().kind);
      CHECK(a.find("\"const\": \"" + e->spec().kind + "\"") != std::string::npos);
      for (const ParamSpec& p : e->spec().params)
        CHECK(a.find("\"" + p.name + "\": {\n") != std::string::npos);
    }
  }

  TEST_CASE("schemas/plan.schema.json is fresh" *
            doctest::skip(std::getenv("ORDO_SOURCE_ROOT") == nullptr)) {
    std::string path = std::string(std::getenv("ORDO_SOURCE_ROOT")) + "/schemas/plan.schema.json";
    std::string checked_in = read_file(path);
    std::string generated = plan_json_schema(registry());
    bool fresh = checked_in == generated;
    CHECK_MESSAGE(fresh, path, " is stale (first difference at line ",
                  first_difference(checked_in, generated),
                  "): regenerate it with `ordo schema > schemas/plan.schema.json`");
  }

  TEST_CASE("`ordo schema` prints the generated schema" * doctest::timeout(30) *
            doctest::skip(std::getenv("ORDO_BIN") == nullptr)) {
    std::string cmd = std::string(std::getenv("ORDO_BIN")) + " schema";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    int status = ::pclose(pipe);
    CHECK(status == 0);
    bool same = out == plan_json_schema(registry());
    CHECK_MESSAGE(same, "`ordo schema` differs from plan_json_schema() at line ",
                  first_difference(out, plan_json_schema(registry())));
  }
}
