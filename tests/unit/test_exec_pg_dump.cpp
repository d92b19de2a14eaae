// Unit tests: the pg-dump executor against a real PostgreSQL (TEST_PGHOST, TEST_PGPORT;
// skipped when unset), with the real pg_dump, pg_restore and psql.
#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "exec_test_util.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;

namespace {

bool no_pg() {
  return !std::getenv("TEST_PGHOST") || !std::getenv("TEST_PGPORT");
}

std::string dsn(const std::string& db) {
  return "host="s + std::getenv("TEST_PGHOST") + " port=" + std::getenv("TEST_PGPORT") +
         " user=postgres dbname=" + db + " sslmode=disable";
}

std::string psql(const std::string& db, const std::string& sql) {
  ShResult r = sh("psql -X -q -A -t -v ON_ERROR_STOP=1 " + q(dsn(db)) + " -c " + q(sql));
  REQUIRE_MESSAGE(r.code == 0, r.out);
  return r.out;
}

// A database of its own with a table and a few rows, dropped at the end.
struct TestDb {
  std::string name = "ordo_pgdump_" + std::to_string(::getpid());
  TestDb() {
    psql("postgres", "DROP DATABASE IF EXISTS " + name);
    psql("postgres", "CREATE DATABASE " + name);
    psql(name, "CREATE TABLE events (id serial PRIMARY KEY, title text NOT NULL)");
    psql(name, "INSERT INTO events (title) SELECT 'event ' || g FROM generate_series(1, 500) g");
  }
  ~TestDb() { sh("psql -X -q " + q(dsn("postgres")) + " -c " + q("DROP DATABASE " + name)); }
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Step dump(const std::string& db, const std::string& output, ValueTable extra = {},
          const std::string& user = "") {
  ValueTable p = {{"dsn", Value(dsn(db))}, {"output", Value(output)}};
  for (auto& e : extra) p.push_back(std::move(e));
  return Step("pg-dump", p, user);
}

}  // namespace

TEST_SUITE("exec_pg_dump") {
  TEST_CASE("a verified custom-format dump lands under its name" * doctest::timeout(60) *
            doctest::skip(no_pg())) {
    TestDb db;
    Scratch dir;
    const std::string output = dir / "indico.dump";
    Step s = dump(db.name, output);
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "path") == output);
    struct stat st {};
    REQUIRE(::stat(output.c_str(), &st) == 0);
    CHECK(out(o, "bytes") == std::to_string(st.st_size));
    CHECK(st.st_size > 0);
    CHECK_FALSE(exists(output + ".partial"));
    CHECK(s.said("info: verified: pg_restore --list reads "));
    CHECK(s.said("info: database size "));  // the free-space check ran
    // The archive really holds the table and its rows.
    ShResult list = sh("pg_restore --list " + q(output));
    CHECK(list.out.find("TABLE public events") != std::string::npos);
    CHECK(list.out.find("TABLE DATA public events") != std::string::npos);
  }

  TEST_CASE("an existing output is refused before dumping, unless overwrite" *
            doctest::timeout(60) * doctest::skip(no_pg())) {
    TestDb db;
    Scratch dir;
    const std::string output = dir / "indico.dump";
    std::ofstream(output) << "precious\n";
    Step s = dump(db.name, output);
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == output +
                           " already exists: refusing to overwrite it (set overwrite = true to "
                           "replace it, or choose another `output`)");
    CHECK(read(output) == "precious\n");
    CHECK_FALSE(exists(output + ".partial"));
    CHECK_FALSE(s.said("dumping"));

    Step again = dump(db.name, output, {{"overwrite", Value(true)}});
    INFO(again.output());
    Outcome replaced = again.run();
    CHECK(replaced.status == Outcome::Status::Succeeded);
    CHECK(read(output) != "precious\n");
    CHECK(sh("pg_restore --list " + q(output)).code == 0);
  }

  TEST_CASE("a failed dump leaves neither the file nor OUTPUT.partial" * doctest::timeout(60) *
            doctest::skip(no_pg())) {
    Scratch dir;
    const std::string output = dir / "indico.dump";
    std::ofstream(output + ".partial") << "left by a crash\n";  // removed before dumping
    Step s = dump("ordo_no_such_database", output);
    INFO(s.output());
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.starts_with("pg_dump failed: exit code 1: "));
    CHECK(o.message.find("ordo_no_such_database") != std::string::npos);
    CHECK_FALSE(exists(output));
    CHECK_FALSE(exists(output + ".partial"));
    // The size could not be read either: a warning, and the dump was still tried.
    CHECK(s.said("info: cannot read the database size"));
    CHECK(s.warnings->size() == 1);
  }

  TEST_CASE("directory format, a relative output, run as the step's user" * doctest::timeout(60) *
            doctest::skip(no_pg() || !is_root())) {
    TestDb db;
    Scratch dir;
    REQUIRE(sh("mkdir " + q(dir / "backup") + " && chown postgres: " + q(dir / "backup")).code ==
            0);
    Step s = dump(db.name, "backup/indico.d", {{"format", Value("directory")}}, "postgres");
    s.ctx.run_as.cwd = dir.path;
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    const std::string output = dir / "backup/indico.d";
    CHECK(out(o, "path") == output);
    struct stat st {};
    REQUIRE(::stat((output + "/toc.dat").c_str(), &st) == 0);
    CHECK(st.st_uid == std::stoul(sh("id -u postgres").out));
    const std::string total =
        sh("find " + q(output) + " -type f -printf '%s\\n' | awk '{ n += $1 } END { print n }'")
            .out;
    CHECK(out(o, "bytes") + "\n" == total);
  }

  TEST_CASE("a plain dump is not verified by default" * doctest::timeout(60) *
            doctest::skip(no_pg())) {
    TestDb db;
    Scratch dir;
    Step s = dump(db.name, dir / "indico.sql", {{"format", Value("plain")}});
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(read(dir / "indico.sql").find("CREATE TABLE public.events") != std::string::npos);
    CHECK_FALSE(s.said("verified"));
  }

  TEST_CASE("too little free space fails before dumping" * doctest::timeout(60) *
            doctest::skip(no_pg() || !is_root())) {
    TestDb db;
    Scratch dir;
    const std::string small = dir / "small";
    REQUIRE(sh("mkdir " + q(small)).code == 0);
    // A 1 MiB file system: smaller than any database (an empty one is ~7 MiB).
    if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
      MESSAGE("cannot mount a tmpfs here; skipped");
      return;
    }
    Step s = dump(db.name, small + "/indico.dump");
    Outcome o = s.run();
    Step unchecked = dump(db.name, small + "/unchecked.dump", {{"check_space", Value(false)}});
    Outcome u = unchecked.run();  // the dump itself is small enough
    const bool wrote = exists(small + "/unchecked.dump");
    ::umount(small.c_str());
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.starts_with("not enough free space in " + small + ": "));
    CHECK(o.message.find("(set check_space = false to dump anyway)") != std::string::npos);
    CHECK_FALSE(s.said("dumping"));
    CHECK(u.status == Outcome::Status::Succeeded);
    CHECK(wrote);
  }
}
