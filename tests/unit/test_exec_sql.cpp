// Unit tests: the sql executor and pg_conn against a real PostgreSQL (TEST_PGHOST, TEST_PGPORT;
// skipped when unset), plus the pure DSN helpers (redaction, indico.conf parsing).
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "kinds.h"
#include "pg_conn.h"
#include "pg_test_util.h"

using namespace ordo;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

using pg_test::eventually;
using pg_test::free_port;
using pg_test::no_pg;
using pg_test::server_dsn;

// A database of its own for one test case, dropped (with its sessions) at the end.
struct TestDb : pg_test::TestDb {
  explicit TestDb(const std::string& tag) : pg_test::TestDb("ordo_sql_" + tag) {}
};

// A StepContext for the sql executor that records what the step says.
struct Step {
  StepContext ctx;
  std::mutex m;
  std::vector<std::string> info;
  Step(const std::string& id, ValueTable params) {
    ctx.step_id = id;
    ctx.kind = "sql";
    ctx.params = resolve_params(make_sql_executor()->spec(), params);
    ctx.output = [this](OutputStream s, std::string_view line) {
      std::lock_guard lock(m);
      if (s == OutputStream::Info) info.emplace_back(line);
    };
  }
  Outcome run() { return make_sql_executor()->run(ctx); }
  bool said(const std::string& text) {
    std::lock_guard lock(m);
    for (const auto& l : info)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

std::string out_text(const Outcome& o, const std::string& key) {
  const Value* v = table_find(o.outputs, key);
  return v ? v->to_text() : "<missing>";
}

}  // namespace

TEST_CASE("redact_dsn hides passwords in URIs and conninfo strings") {
  CHECK(redact_dsn("postgresql://indico:s3cret@db.example/indico") ==
        "postgresql://indico:***@db.example/indico"s);
  CHECK(redact_dsn("postgres://u:p%40ss@h:5432/d?sslmode=require&password=x2") ==
        "postgres://u:***@h:5432/d?sslmode=require&password=***"s);
  CHECK(redact_dsn("postgresql://indico@db/indico") == "postgresql://indico@db/indico"s);
  CHECK(redact_dsn("postgresql:///indico") == "postgresql:///indico"s);
  CHECK(redact_dsn("host=db password=s3cret dbname=indico") ==
        "host=db password=*** dbname=indico"s);
  CHECK(redact_dsn("host=db password = 'it\\'s secret' user=x") ==
        "host=db password = *** user=x"s);
}

TEST_CASE("parse_indico_conf_dsn reads SQLALCHEMY_DATABASE_URI like Python would") {
  auto ok = [](const std::string& text) {
    auto r = parse_indico_conf_dsn(text, "indico.conf");
    return r.ok() ? *r : "error: " + r.error().message;
  };
  CHECK(ok("SQLALCHEMY_DATABASE_URI = 'postgresql:///indico'\n") == "postgresql:///indico"s);
  CHECK(
      ok("# comment\nSECRET_KEY = b'x'\nSQLALCHEMY_DATABASE_URI=\"postgresql://u@h/db\"  # db\n") ==
      "postgresql://u@h/db"s);
  CHECK(ok("SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg2://u@h/db'\n") == "postgresql://u@h/db"s);
  CHECK(ok("SQLALCHEMY_DATABASE_URI = 'postgresql:///old'\nSQLALCHEMY_DATABASE_URI = "
           "r'postgresql:///new'\n") == "postgresql:///new"s);
  CHECK(ok("SQLALCHEMY_DATABASE_URI_X = 'postgresql:///no'\nBASE_URL = 'https://x'\n") ==
        "error: indico.conf: no SQLALCHEMY_DATABASE_URI setting found"s);
  CHECK(ok("SQLALCHEMY_DATABASE_URI = os.environ['DB']\n").find("error: indico.conf:1: ") == 0);
  CHECK(ok("SQLALCHEMY_DATABASE_URI = 'mysql://u:pw@h/db'\n") ==
        "error: indico.conf:1: SQLALCHEMY_DATABASE_URI is not a PostgreSQL URI: "
        "mysql://u:***@h/db"s);

  auto missing = read_indico_conf_dsn("/nonexistent/indico.conf");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        "cannot read indico.conf '/nonexistent/indico.conf': No such file or directory"s);
}

TEST_CASE("sql binds params: injection-shaped text round-trips as data" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("params");
  PgConn c = db.connect();
  REQUIRE(c.exec("CREATE TABLE t (s text)").ok());
  const std::string evil = "x'); DROP TABLE t; --";
  Step s("insert", {{"dsn", Value(db.dsn())},
                    {"query", Value("INSERT INTO t VALUES ($1), ($2::int + 1)")},
                    {"params", Value(ValueList{Value(evil), Value(41)})}});
  Outcome o = s.run();
  REQUIRE(o.status == Outcome::Status::Succeeded);
  CHECK(out_text(o, "rows") == "2"s);

  Step q("select", {{"dsn", Value(db.dsn())},
                    {"query", Value("SELECT s, $2 FROM t WHERE s = $1")},
                    {"params", Value(ValueList{Value(evil), Value(true)})}});
  Outcome r = q.run();
  REQUIRE(r.status == Outcome::Status::Succeeded);
  CHECK(out_text(r, "rows") == "1"s);
  CHECK(out_text(r, "value") == evil);
  PgResult count = c.exec("SELECT count(*) FROM t");
  REQUIRE(count.ok());
  CHECK(*count.cell(0, 0) == "2"s);
}

TEST_CASE("sql expect and expect_rows fail the step with expected vs got" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("expect");
  PgConn c = db.connect();
  REQUIRE(c.exec("CREATE TABLE t AS SELECT g AS n FROM generate_series(1, 3) g").ok());
  auto run = [&](const std::string& query, ValueTable extra) {
    ValueTable p{{"dsn", Value(db.dsn())}, {"query", Value(query)}};
    for (auto& kv : extra) p.push_back(kv);
    Step s("expect", p);
    return s.run();
  };

  Outcome met = run("SELECT count(*) FROM t", {{"expect", Value(3)}});
  CHECK(met.status == Outcome::Status::Succeeded);
  CHECK(out_text(met, "value") == "3"s);
  CHECK(run("SELECT n > 0 FROM t", {{"expect", Value(true)}}).status == Outcome::Status::Succeeded);
  CHECK(run("SELECT 'v3.3'", {{"expect", Value("v3.3")}}).status == Outcome::Status::Succeeded);

  Outcome unmet = run("SELECT max(n)::text FROM t", {{"expect", Value("4")}});
  CHECK(unmet.status == Outcome::Status::Failed);
  CHECK(unmet.message == "expected value '4', got '3'"s);
  CHECK(out_text(unmet, "value") == "3"s);
  CHECK(run("SELECT n FROM t WHERE false", {{"expect", Value(1)}}).message ==
        "expected value '1', got no rows"s);
  CHECK(run("SELECT NULL", {{"expect", Value("x")}}).message == "expected value 'x', got NULL"s);
  CHECK(run("SELECT false", {{"expect", Value(true)}}).message == "expected value 't', got 'f'"s);

  Outcome upd = run("UPDATE t SET n = n + 10", {{"expect_rows", Value(3)}});
  CHECK(upd.status == Outcome::Status::Succeeded);
  CHECK(out_text(upd, "rows") == "3"s);
  Outcome none = run("SELECT n FROM t WHERE n > 100", {{"expect_rows", Value(1)}});
  CHECK(none.status == Outcome::Status::Failed);
  CHECK(none.message == "expected 1 row(s), got 0"s);
  Outcome both =
      run("SELECT n FROM t ORDER BY n", {{"expect", Value(11)}, {"expect_rows", Value(2)}});
  CHECK(both.message == "expected 2 row(s), got 3"s);
}

TEST_CASE("sql reads the database URI from indico_conf" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("conf");
  auto dir =
      std::filesystem::temp_directory_path() / ("ordo-sql-conf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "indico.conf")
      << "# generated\nBASE_URL = 'https://indico.example'\nSQLALCHEMY_DATABASE_URI = "
         "\"postgresql:///"
      << db.name << "?host=" << std::getenv("TEST_PGHOST") << "&port=" << std::getenv("TEST_PGPORT")
      << "&user=postgres&sslmode=disable\"\nSECRET_KEY = '\\x00'\n";
  Step s("conf", {{"indico_conf", Value((dir / "indico.conf").string())},
                  {"query", Value("SELECT current_database()")}});
  Outcome o = s.run();
  CHECK(o.message == ""s);
  CHECK(out_text(o, "value") == db.name);
  CHECK(s.said("database from " + (dir / "indico.conf").string()));

  Step bad("conf-missing",
           {{"indico_conf", Value((dir / "nope.conf").string())}, {"query", Value("SELECT 1")}});
  Outcome b = bad.run();
  CHECK(b.status == Outcome::Status::Failed);
  CHECK(b.message.find("cannot read indico.conf") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("sql errors carry the SQLSTATE and the server message" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("errors");
  Step syntax("syntax", {{"dsn", Value(db.dsn())}, {"query", Value("SELEC 1")}});
  Outcome o = syntax.run();
  CHECK(o.status == Outcome::Status::Failed);
  CHECK(o.message == "SQLSTATE 42601: syntax error at or near \"SELEC\""s);

  Step missing("missing", {{"dsn", Value(db.dsn())}, {"query", Value("SELECT * FROM nope")}});
  CHECK(missing.run().message == "SQLSTATE 42P01: relation \"nope\" does not exist"s);

  Step hint("hint", {{"dsn", Value(db.dsn())},
                     {"query", Value("DO $$ BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'd1', "
                                     "HINT = 'h1', ERRCODE = '22023'; END $$")}});
  CHECK(hint.run().message == "SQLSTATE 22023: boom"s);
  CHECK(hint.said("DETAIL: d1"));
  CHECK(hint.said("HINT: h1"));
}

TEST_CASE("sql: an unreachable server is a clear failure, password redacted" *
          doctest::skip(no_pg()) * doctest::timeout(30)) {
  const std::string port = std::to_string(free_port());
  Step s("down", {{"dsn", Value("postgresql://postgres:s3cret@127.0.0.1:" + port + "/x")},
                  {"query", Value("SELECT 1")}});
  Outcome o = s.run();
  CHECK(o.status == Outcome::Status::Failed);
  CHECK(o.message.find("cannot connect to postgresql://postgres:***@127.0.0.1:" + port + "/x: ") ==
        0);
  CHECK(o.message.find("s3cret") == std::string::npos);
  CHECK(o.message.find("Connection refused") != std::string::npos);
  CHECK(o.message.find('\n') == std::string::npos);
}

TEST_CASE("sql: a stop request cancels a running statement within a second" *
          doctest::skip(no_pg()) * doctest::timeout(30)) {
  TestDb db("cancel");
  Step s("cancel-me", {{"dsn", Value(db.dsn())}, {"query", Value("SELECT pg_sleep(30)")}});
  std::stop_source stop;
  s.ctx.stop = stop.get_token();
  Outcome o;
  std::thread t([&] { o = s.run(); });
  bool running = eventually([&] {
    PgResult r = db.admin.exec(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ordo:cancel-me' "
        "AND state = 'active' AND query LIKE '%pg_sleep%'");
    return r.ok() && *r.cell(0, 0) == "1";
  });
  CHECK(running);
  const auto asked = Clock::now();
  stop.request_stop();
  t.join();
  CHECK(Clock::now() - asked < 1s);
  CHECK(o.status == Outcome::Status::Cancelled);
  CHECK(o.message == "statement cancelled"s);
  CHECK(eventually([&] {
    PgResult r = db.admin.exec(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'");
    return r.ok() && *r.cell(0, 0) == "0";
  }));
}

TEST_CASE("sql: the step's deadline cancels the statement (TimedOut)" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("timeout");
  Step s("slow", {{"dsn", Value(db.dsn())}, {"query", Value("SELECT pg_sleep(30)")}});
  const auto started = Clock::now();
  s.ctx.deadline = started + 700ms;
  Outcome o = s.run();
  const auto took = Clock::now() - started;
  CHECK(o.status == Outcome::Status::TimedOut);
  CHECK(o.message.find("timed out after") == 0);
  CHECK(o.message.find("statement cancelled") != std::string::npos);
  CHECK(took >= 700ms);
  CHECK(took < 2s);
}

TEST_CASE("sql: notices reach the step log as Info lines" * doctest::skip(no_pg()) *
          doctest::timeout(30)) {
  TestDb db("notice");
  Step s("notice", {{"dsn", Value(db.dsn())},
                    {"query", Value("DO $$ BEGIN RAISE NOTICE 'hello %', 40 + 2; END $$")}});
  Outcome o = s.run();
  CHECK(o.status == Outcome::Status::Succeeded);
  CHECK(s.said("NOTICE:  hello 42"));
}

TEST_CASE("sql with `user` connects as that OS user: peer authentication, only while connecting" *
          doctest::skip(no_pg() || ::geteuid() != 0) * doctest::timeout(60)) {
  pg_test::PeerDb peer;
  REQUIRE(peer.run_as.has_value());
  const ValueTable params = {{"dsn", Value(pg_test::PeerDb::dsn())},
                             {"query", Value("SELECT current_user")}};

  SUBCASE("without `user`: root has no role, and naming the role fails peer authentication") {
    Step s("as-root", params);
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    INFO(o.message);
    CHECK(o.message.find("FATAL:  role \"root\" does not exist") != std::string::npos);
    // Naming the role is not enough either: peer authentication checks the OS user.
    Step named("as-root-named",
               {{"dsn", Value(pg_test::PeerDb::dsn() + " user=" + pg_test::PeerDb::kUser)},
                {"query", Value("SELECT current_user")}});
    Outcome n = named.run();
    CHECK(n.status == Outcome::Status::Failed);
    CHECK(n.message.find("Peer authentication failed for user \"ordo-test-user\"") !=
          std::string::npos);
    CHECK(::geteuid() == 0);
  }
  SUBCASE("with `user`, it logs in as that user's role; the thread is root again after") {
    Step s("as-user", params);
    s.ctx.run_as = *peer.run_as;
    Outcome o = s.run();
    INFO(o.message);
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(out_text(o, "value") == std::string(pg_test::PeerDb::kUser));
    CHECK(::geteuid() == 0);
    CHECK(::getegid() == 0);
  }
  SUBCASE("a switch the kernel refuses is a clear error, and nothing stays switched") {
    // As a non-root thread, switching to another uid is refused (EPERM).
    PgConnectOptions opt;
    opt.dsn = pg_test::PeerDb::dsn();
    opt.as_user = std::make_pair(peer.run_as->uid, peer.run_as->gid);
    opt.as_user_name = peer.run_as->user;
    std::string error;
    uid_t after = 1;
    long dropped = -1;
    std::thread t([&] {
      // This thread only: become a uid that may not switch to the test user.
      dropped = ::syscall(SYS_setresuid, 65534, 65534, 65534);
      PgConn c;
      error = c.connect(opt).error;
      after = ::geteuid();
    });
    t.join();
    REQUIRE(dropped == 0);
    CHECK(error == "cannot connect as user ordo-test-user: Operation not permitted");
    CHECK(after == 65534);
    CHECK(::geteuid() == 0);
  }
}
