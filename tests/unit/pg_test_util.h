// Helpers shared by the tests that need the real PostgreSQL the test setup starts
// (TEST_PGHOST = socket dir, TEST_PGPORT; superuser postgres): whether it is there, DSNs, a
// database of its own per test case, a closed port, and polling with a deadline.
// Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "executor.h"
#include "pg_conn.h"

namespace pg_test {

// True when no server was started for the tests (the PostgreSQL cases are then skipped).
inline bool no_pg() {
  return !std::getenv("TEST_PGHOST") || !std::getenv("TEST_PGPORT");
}

inline std::string server_dsn(const std::string& db) {
  return std::string("host=") + std::getenv("TEST_PGHOST") + " port=" + std::getenv("TEST_PGPORT") +
         " user=postgres sslmode=disable dbname=" + db;
}

// A port on 127.0.0.1 where nothing listens (bound, read, released).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Polls f every 20 ms until it is true or `within` has passed; then returns f() once more.
template <class F>
bool eventually(F f, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto end = ordo::Clock::now() + within;
  while (ordo::Clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

// A database of its own (PREFIX_PID_N) for one test case, dropped with its sessions at the end.
struct TestDb {
  std::string name;
  ordo::PgConn admin;
  explicit TestDb(const std::string& prefix) {
    static std::atomic<int> n{0};
    name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    ordo::PgConnectOptions o;
    o.dsn = server_dsn("postgres");
    REQUIRE(admin.connect(o).error == "");
    REQUIRE(admin.exec("CREATE DATABASE " + name).error == "");
  }
  TestDb(const TestDb&) = delete;
  ~TestDb() { (void)admin.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }
  std::string dsn() const { return server_dsn(name); }
  // A session in this database, with `app` as its application_name when given.
  ordo::PgConn connect(const std::string& app = "") const {
    ordo::PgConn c;
    ordo::PgConnectOptions o;
    o.dsn = dsn() + (app.empty() ? "" : " application_name=" + app);
    REQUIRE(c.connect(o).error == "");
    return c;
  }
};

// Peer authentication (the run-as tests): test.sh makes database ordo_peer use `peer` on the
// socket. PeerDb creates, as root and when missing, the OS user ordo-test-user (useradd -r -M),
// a LOGIN role of the same name and the database ordo_peer; creating them twice (two test
// binaries at once) is fine. Kept for the server's lifetime. ok() false: not root, or no user.
struct PeerDb {
  static constexpr const char* kUser = "ordo-test-user";
  static constexpr const char* kDb = "ordo_peer";
  std::optional<ordo::RunAs> run_as;  // the step's RunAs for kUser
  PeerDb() {
    if (::geteuid() != 0) return;
    if (!::getpwnam(kUser)) (void)std::system("useradd -r -M ordo-test-user >/dev/null 2>&1");
    const passwd* pw = ::getpwnam(kUser);
    REQUIRE(pw != nullptr);
    ordo::RunAs ra;
    ra.user = kUser;
    ra.uid = pw->pw_uid;
    ra.gid = pw->pw_gid;
    run_as = ra;
    ordo::PgConn admin;
    ordo::PgConnectOptions o;
    o.dsn = server_dsn("postgres");
    REQUIRE(admin.connect(o).error == "");
    REQUIRE(admin
                .exec("DO $$BEGIN CREATE ROLE \"ordo-test-user\" LOGIN; EXCEPTION WHEN "
                      "duplicate_object OR unique_violation THEN NULL; END$$")
                .error == "");
    ordo::PgResult r = admin.exec("CREATE DATABASE ordo_peer");
    // 42P04: it exists; 23505: another test binary created it at the same moment.
    if (!r.ok()) REQUIRE((r.sqlstate == "42P04" || r.sqlstate == "23505"));
  }
  // Through the socket, so that peer authentication applies; no role named: libpq's default.
  static std::string dsn() {
    return std::string("host=") + std::getenv("TEST_PGHOST") +
           " port=" + std::getenv("TEST_PGPORT") + " dbname=" + kDb;
  }
};

}  // namespace pg_test
