// Unit tests: the file executor on real files, owners and modes (checked with stat), as root
// and as a test user (`ordo-test-user`, created with useradd -r -M when missing).
#include <doctest/doctest.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "diagnostics.h"
#include "exec_test_util.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;

namespace {

const char* kUser = "ordo-test-user";

// The test user's uid/gid (created on first use); nullopt when not root or useradd failed.
std::optional<std::pair<uid_t, gid_t>> test_user() {
  static std::optional<std::pair<uid_t, gid_t>> ids = [] {
    std::optional<std::pair<uid_t, gid_t>> r;
    if (!is_root()) return r;
    if (!::getpwnam(kUser)) sh("useradd -r -M "s + kUser);
    if (const passwd* pw = ::getpwnam(kUser)) r = std::pair{pw->pw_uid, pw->pw_gid};
    return r;
  }();
  return ids;
}
bool no_test_user() {
  return !test_user().has_value();
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, path);
  return st;
}
unsigned mode_of(const std::string& path) {
  return lstat_of(path).st_mode & 07777;
}
std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write(const std::string& path, const std::string& text, unsigned mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

Step file(ValueTable params, const std::string& user = "") {
  return Step("file", params, user);
}

// An archive-like tree: dirs with different modes, files (one executable), a symlink.
void make_tree(const std::string& root) {
  REQUIRE(sh("mkdir -p " + q(root + "/2024/ab") + " " + q(root + "/empty")).code == 0);
  ::chmod(root.c_str(), 0700);
  ::chmod((root + "/2024").c_str(), 0711);
  write(root + "/top.txt", "top\n", 0600);
  write(root + "/2024/ab/file.pdf", "pdf bytes\n", 0644);
  write(root + "/2024/ab/run.sh", "#!/bin/sh\n", 0755);
  REQUIRE(::symlink("2024/ab/file.pdf", (root + "/latest").c_str()) == 0);
}

}  // namespace

TEST_SUITE("exec_file") {
  TEST_CASE("check: mode, owner and group belong to touch and mkdir") {
    auto problems = [](ValueTable params) {
      StepDecl step;
      step.id = "s";
      step.kind = "file";
      for (auto& [k, v] : params) step.params.emplace_back(k, v);
      Diagnostics diags;
      registry().find("file")->check(step, diags);
      std::vector<std::string> out;
      for (const auto& d : diags.items()) out.push_back(d.message);
      return out;
    };
    CHECK(
        problems({{"mkdir", Value("/x")}, {"mode", Value("0750")}, {"owner", Value("a")}}).empty());
    CHECK(problems({{"copy", Value(ValueTable{{"from", Value("a")}, {"to", Value("b")}})},
                    {"mode", Value("0640")}}) ==
          std::vector<std::string>{"`mode` applies to `touch` and `mkdir`: for `copy` put it "
                                   "inside the table, copy = { ..., mode = ... }"});
    CHECK(problems({{"symlink", Value(ValueTable{{"target", Value("a")}, {"link", Value("b")}})},
                    {"owner", Value("x")}}) ==
          std::vector<std::string>{
              "`owner` applies to `touch` and `mkdir`: a symbolic link has none of its own"});
    CHECK(problems({{"touch", Value("/x")}, {"mode", Value("u+x")}}) ==
          std::vector<std::string>{"`mode` must be an octal string such as \"0640\", not \"u+x\""});
    CHECK(problems({{"touch", Value("/x")}, {"group", Value("")}}) ==
          std::vector<std::string>{"`group` is empty: give a name"});
  }

  TEST_CASE("touch creates a file and moves an old mtime to now" * doctest::timeout(30)) {
    Scratch dir;
    const std::string wsgi = dir / "indico.wsgi";
    Step create = file({{"touch", Value(wsgi)}});
    INFO(create.output());
    REQUIRE(create.run().status == Outcome::Status::Succeeded);
    REQUIRE(read(wsgi).empty());

    write(wsgi, "application = make_app()\n");
    REQUIRE(sh("touch -d '2001-02-03 04:05:06' " + q(wsgi)).code == 0);
    const time_t old = lstat_of(wsgi).st_mtime;
    Step again = file({{"touch", Value(wsgi)}});
    REQUIRE(again.run().status == Outcome::Status::Succeeded);
    const time_t now = ::time(nullptr);
    CHECK(lstat_of(wsgi).st_mtime > old);
    CHECK(lstat_of(wsgi).st_mtime >= now - 5);
    CHECK(read(wsgi) == "application = make_app()\n");  // content untouched
  }

  TEST_CASE("touch runs as the step's user; ~ is that user's home" * doctest::timeout(30) *
            doctest::skip(no_test_user())) {
    Scratch dir;
    REQUIRE(sh("chown "s + kUser + " " + q(dir.path)).code == 0);
    Step s = file({{"touch", Value(dir / "reload")}}, kUser);
    INFO(s.output());
    REQUIRE(s.run().status == Outcome::Status::Succeeded);
    CHECK(lstat_of(dir / "reload").st_uid == test_user()->first);

    // Where the user may not write, touch fails with touch's own words.
    Step denied = file({{"touch", Value("/root/ordo-denied")}}, kUser);
    Outcome o = denied.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.starts_with("touch failed: exit code 1: "));
    CHECK(o.message.find("Permission denied") != std::string::npos);

    s.ctx.run_as.home = dir.path;
    s.ctx.params = resolve_params(registry().find("file")->spec(), {{"touch", Value("~/tilde")}});
    REQUIRE(s.run().status == Outcome::Status::Succeeded);
    CHECK(lstat_of(dir / "tilde").st_uid == test_user()->first);
  }

  TEST_CASE("mkdir makes parents and sets mode, owner and group on the directory" *
            doctest::timeout(30) * doctest::skip(no_test_user())) {
    Scratch dir;
    const std::string path = dir / "a/b/backup";
    Step s = file({{"mkdir", Value(path)},
                   {"mode", Value("0750")},
                   {"owner", Value(kUser)},
                   {"group", Value(kUser)}});
    INFO(s.output());
    REQUIRE(s.run().status == Outcome::Status::Succeeded);
    struct stat st = lstat_of(path);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == test_user()->first);
    CHECK(st.st_gid == test_user()->second);
    CHECK(lstat_of(dir / "a").st_uid == 0);  // created parents keep the defaults

    // Again on the existing directory: no error, and the mode is set again.
    ::chmod(path.c_str(), 0777);
    Step again = file({{"mkdir", Value(path)}, {"mode", Value("0700")}});
    REQUIRE(again.run().status == Outcome::Status::Succeeded);
    CHECK(mode_of(path) == 0700);
  }

  TEST_CASE("copy of a tree applies owner, group and mode to everything copied" *
            doctest::timeout(60) * doctest::skip(no_test_user())) {
    Scratch dir;
    make_tree(dir / "archive");
    const std::string to = dir / "new/archive";
    REQUIRE(sh("mkdir " + q(dir / "new")).code == 0);
    Step s = file({{"copy", Value(ValueTable{{"from", Value(dir / "archive")},
                                             {"to", Value(to)},
                                             {"owner", Value(kUser)},
                                             {"group", Value(kUser)},
                                             {"mode", Value("0640")}})}});
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(read(to + "/2024/ab/file.pdf") == "pdf bytes\n");
    CHECK(read(to + "/top.txt") == "top\n");
    const auto [uid, gid] = *test_user();
    for (const std::string rel : {"", "/2024", "/2024/ab", "/empty", "/top.txt",
                                  "/2024/ab/file.pdf", "/2024/ab/run.sh", "/latest"}) {
      INFO("path ", to + rel);
      struct stat st = lstat_of(to + rel);
      CHECK(st.st_uid == uid);
      CHECK(st.st_gid == gid);
      if (S_ISDIR(st.st_mode))
        CHECK((st.st_mode & 07777) == 0750);  // x where r is granted
      else if (S_ISREG(st.st_mode))
        CHECK((st.st_mode & 07777) == 0640);
    }
    CHECK(S_ISLNK(lstat_of(to + "/latest").st_mode));  // a link stays a link
    // The source is unchanged.
    CHECK(mode_of(dir / "archive/2024/ab/run.sh") == 0755);
    CHECK(lstat_of(dir / "archive/top.txt").st_uid == 0);
  }

  TEST_CASE("copy with preserve keeps modes, times and owners" * doctest::timeout(60) *
            doctest::skip(no_test_user())) {
    Scratch dir;
    make_tree(dir / "archive");
    REQUIRE(sh("chown -R "s + kUser + ": " + q(dir / "archive") + " && touch -h -d 2020-01-01 " +
               q(dir / "archive/top.txt"))
                .code == 0);
    Step s = file({{"copy", Value(ValueTable{{"from", Value(dir / "archive")},
                                             {"to", Value(dir / "copy")},
                                             {"preserve", Value(true)}})}});
    INFO(s.output());
    REQUIRE(s.run().status == Outcome::Status::Succeeded);
    for (const std::string rel : {"", "/2024", "/top.txt", "/2024/ab/run.sh"}) {
      INFO("path ", rel);
      struct stat a = lstat_of(dir / "archive" + rel), b = lstat_of(dir / "copy" + rel);
      CHECK((a.st_mode & 07777) == (b.st_mode & 07777));
      CHECK(b.st_uid == test_user()->first);
    }
    CHECK(lstat_of(dir / "copy/top.txt").st_mtime == lstat_of(dir / "archive/top.txt").st_mtime);
  }

  TEST_CASE("copy of a file into a directory, and onto a new name" * doctest::timeout(30)) {
    Scratch dir;
    write(dir / "indico.conf", "BASE_URL = 'x'\n", 0600);
    REQUIRE(sh("mkdir " + q(dir / "etc")).code == 0);
    Step into = file({{"copy", Value(ValueTable{{"from", Value(dir / "indico.conf")},
                                                {"to", Value(dir / "etc")},
                                                {"mode", Value("0640")}})}});
    REQUIRE(into.run().status == Outcome::Status::Succeeded);
    CHECK(read(dir / "etc/indico.conf") == "BASE_URL = 'x'\n");
    CHECK(mode_of(dir / "etc/indico.conf") == 0640);
    CHECK(mode_of(dir / "etc") == 0755);  // the directory it landed in is not changed

    Step renamed = file({{"copy", Value(ValueTable{{"from", Value(dir / "indico.conf")},
                                                   {"to", Value(dir / "etc/indico.conf.bak")}})}});
    REQUIRE(renamed.run().status == Outcome::Status::Succeeded);
    CHECK(read(dir / "etc/indico.conf.bak") == "BASE_URL = 'x'\n");

    Step missing = file(
        {{"copy", Value(ValueTable{{"from", Value(dir / "nope")}, {"to", Value(dir / "x")}})}});
    Outcome o = missing.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.starts_with("cp failed: exit code 1: "));
  }

  TEST_CASE("copy as an unprivileged user: its files, and chown to others is refused" *
            doctest::timeout(30) * doctest::skip(no_test_user())) {
    Scratch dir;
    make_tree(dir / "src");
    REQUIRE(sh("chmod -R a+rX " + q(dir / "src") + " && mkdir " + q(dir / "dst") + " && chown " +
               kUser + " " + q(dir / "dst"))
                .code == 0);
    Step s = file({{"copy", Value(ValueTable{{"from", Value(dir / "src")},
                                             {"to", Value(dir / "dst/archive")}})}},
                  kUser);
    INFO(s.output());
    REQUIRE(s.run().status == Outcome::Status::Succeeded);
    CHECK(lstat_of(dir / "dst/archive/2024/ab/file.pdf").st_uid == test_user()->first);

    Step chown_root = file({{"copy", Value(ValueTable{{"from", Value(dir / "src/top.txt")},
                                                      {"to", Value(dir / "dst/top.txt")},
                                                      {"owner", Value("root")}})}},
                           kUser);
    Outcome o = chown_root.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.starts_with("chown failed: exit code 1: "));
    CHECK(o.message.find("Operation not permitted") != std::string::npos);
  }

  TEST_CASE("unknown owner or group names fail before anything is done" * doctest::timeout(30)) {
    Scratch dir;
    Step s = file({{"mkdir", Value(dir / "x")}, {"owner", Value("ordo-no-such-user")}});
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == "no such user 'ordo-no-such-user' (owner)");
    Step g = file({{"copy", Value(ValueTable{{"from", Value(dir.path)},
                                             {"to", Value(dir / "y")},
                                             {"group", Value("ordo-no-such-group")}})}});
    Outcome og = g.run();
    CHECK(og.message == "no such group 'ordo-no-such-group' (copy.group)");
    CHECK_FALSE(std::filesystem::exists(dir / "x"));
    CHECK_FALSE(std::filesystem::exists(dir / "y"));
  }

  TEST_CASE("symlink makes and re-points a link, but never replaces a file" *
            doctest::timeout(30)) {
    Scratch dir;
    REQUIRE(sh("mkdir -p " + q(dir / "v1/static") + " " + q(dir / "v2/static")).code == 0);
    const std::string link = dir / "static";
    Step make =
        file({{"symlink",
               Value(ValueTable{{"target", Value(dir / "v1/static")}, {"link", Value(link)}})}});
    INFO(make.output());
    REQUIRE(make.run().status == Outcome::Status::Succeeded);
    CHECK(std::filesystem::read_symlink(link).string() == dir / "v1/static");

    // Re-pointing a link to a directory replaces the link (not a link inside the directory).
    Step repoint =
        file({{"symlink",
               Value(ValueTable{{"target", Value(dir / "v2/static")}, {"link", Value(link)}})}});
    REQUIRE(repoint.run().status == Outcome::Status::Succeeded);
    CHECK(std::filesystem::read_symlink(link).string() == dir / "v2/static");
    CHECK_FALSE(std::filesystem::exists(dir / "v1/static/static"));

    // A relative target stays relative.
    Step relative = file(
        {{"symlink", Value(ValueTable{{"target", Value("v1/static")}, {"link", Value(link)}})}});
    REQUIRE(relative.run().status == Outcome::Status::Succeeded);
    CHECK(std::filesystem::read_symlink(link).string() == "v1/static");

    write(dir / "real.conf", "keep me\n");
    Step refuse = file({{"symlink", Value(ValueTable{{"target", Value(dir / "v1/static")},
                                                     {"link", Value(dir / "real.conf")}})}});
    Outcome o = refuse.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message ==
          dir / "real.conf" + " exists and is not a symbolic link: refusing to replace it");
    CHECK(read(dir / "real.conf") == "keep me\n");
  }
}
