// The bad-plan corpus: every file in tests/bad_plans/*.toml states, in `# expect:` comment
// lines, the exact diagnostics `ordo check` must print for it ({file} stands for its path).
// The test loads and validates each file and compares the full list — nothing missing,
// nothing extra — so a rule that stops firing, or fires twice, fails here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "builtin.h"
#include "plan_loader.h"
#include "validate.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

// Paths in messages are as the user gave them, so the test runs from the source root and
// names files relatively, as `ordo check tests/bad_plans/x.toml` would.
std::string corpus_dir() {
  if (const char* root = std::getenv("ORDO_SOURCE_ROOT")) fs::current_path(root);
  return "tests/bad_plans";
}

std::vector<std::string> expected_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  const std::string tag = "# expect: ";
  for (std::string line; std::getline(f, line);) {
    if (line.rfind(tag, 0) != 0) continue;
    std::string e = line.substr(tag.size());
    for (size_t p; (p = e.find("{file}")) != std::string::npos;) e.replace(p, 6, path);
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> actual_lines(const std::string& path) {
  Diagnostics diags;
  Registry registry = builtin_registry();
  if (auto plan = load_plan_file(path, diags)) {
    VarValues vars = resolve_vars(*plan, {}, diags);
    (void)validate(*plan, registry, vars, diags);
  }
  std::vector<std::string> out;
  for (const auto& d : diags.sorted()) out.push_back(d.str());
  return out;
}

}  // namespace

TEST_SUITE("bad_plans") {
  TEST_CASE("every bad plan reports exactly its expected diagnostics") {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(corpus_dir()))
      if (e.path().extension() == ".toml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 30);
    for (const auto& f : files) {
      CAPTURE(f);
      auto want = expected_lines(f);
      REQUIRE_MESSAGE(!want.empty(), "no `# expect:` lines in " << f);
      auto got = actual_lines(f);
      std::string want_s, got_s;
      for (const auto& l : want) want_s += l + "\n";
      for (const auto& l : got) got_s += l + "\n";
      CHECK(got_s == want_s);
    }
  }
}
