// Unit tests: the wait-for executor against real sockets on 127.0.0.1 (a listener that comes
// up late, a tiny HTTP server) and real files.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "exec_test_util.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

// A TCP socket on 127.0.0.1 with a free port; listen() on demand; closed at the end.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { ::close(fd); }
  void listen() { REQUIRE(::listen(fd, 8) == 0); }
  std::string at() const { return "127.0.0.1:" + std::to_string(port); }
};

// Serves one HTTP answer per status in `statuses`, recording each request's head.
struct HttpServer {
  Listener l;
  std::vector<int> statuses;
  std::vector<std::string> requests;
  std::thread t;
  explicit HttpServer(std::vector<int> s) : statuses(std::move(s)) {
    l.listen();
    t = std::thread([this] {
      for (int status : statuses) {
        pollfd p{l.fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return;
        const int c = ::accept(l.fd, nullptr, nullptr);
        if (c < 0) return;
        std::string head;
        char buf[1024];
        while (head.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::read(c, buf, sizeof buf);
          if (n <= 0) break;
          head.append(buf, static_cast<size_t>(n));
        }
        requests.push_back(head);
        const std::string answer =
            "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
        (void)!::write(c, answer.data(), answer.size());
        ::close(c);
      }
    });
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer() { join(); }
  void join() {
    if (t.joinable()) t.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(l.port) + path;
  }
};

Step wait_for(ValueTable target, const std::string& within = "5s",
              const std::string& poll = "100ms") {
  target.emplace_back("within", Value(within));
  target.emplace_back("poll", Value(poll));
  return Step("wait-for", target);
}

}  // namespace

TEST_SUITE("exec_wait_for") {
  TEST_CASE("a port that starts listening late" * doctest::timeout(20)) {
    Listener l;
    Step s = wait_for({{"port", Value(l.at())}});
    std::thread later([&] {
      std::this_thread::sleep_for(600ms);
      l.listen();
    });
    const auto t0 = Clock::now();
    Outcome o = s.run();
    later.join();
    INFO(s.output());
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(Clock::now() - t0 >= 600ms);
    CHECK(has_out(o, "waited"));
    auto waited = parse_duration(out(o, "waited"));
    REQUIRE(waited.ok());
    CHECK(waited.value() >= 600ms);
    CHECK(waited.value() < 3s);
    CHECK(s.said("info: " + l.at() + ": Connection refused"));
    CHECK(s.said("info: " + l.at() + ": connected after "));
  }

  TEST_CASE("a port nobody opens: fails after `within`, saying what the last try got" *
            doctest::timeout(20)) {
    Listener l;  // bound, never listening: connections are refused
    Step s = wait_for({{"port", Value(l.at())}}, "1s", "200ms");
    const auto t0 = Clock::now();
    Outcome o = s.run();
    const auto took = Clock::now() - t0;
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == l.at() + " not ready within 1s (last try: Connection refused)");
    CHECK(took >= 1s);
    CHECK(took < 3s);
  }

  TEST_CASE("a file that appears" * doctest::timeout(20)) {
    Scratch dir;
    const std::string sock = dir / "uwsgi.sock";
    Step s = wait_for({{"path", Value(sock)}});
    std::thread later([&] {
      std::this_thread::sleep_for(400ms);
      std::ofstream(sock) << "";
    });
    Outcome o = s.run();
    later.join();
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(s.said("info: " + sock + ": No such file or directory"));

    Step missing = wait_for({{"path", Value(dir / "never")}}, "300ms", "100ms");
    Outcome m = missing.run();
    CHECK(m.status == Outcome::Status::Failed);
    CHECK(m.message ==
          dir / "never" + " not ready within 300ms (last try: No such file or directory)");
  }

  TEST_CASE("a URL: 5xx is not up yet, a 404 or a redirect is" * doctest::timeout(20)) {
    HttpServer server({502, 503, 302});
    Step s = wait_for({{"url", Value(server.url("/health?x=1"))}});
    Outcome o = s.run();
    INFO(s.output());
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(s.said(": HTTP 502"));
    CHECK(s.said(": HTTP 503"));
    CHECK(s.said(": HTTP 302 after "));
    server.join();  // it served its three answers
    REQUIRE(server.requests.size() == 3);
    CHECK(server.requests[0].starts_with("GET /health?x=1 HTTP/1.0\r\n"));
    CHECK(server.requests[0].find("\r\nHost: 127.0.0.1:" + std::to_string(server.l.port) +
                                  "\r\n") != std::string::npos);

    HttpServer missing({404});
    Step nf = wait_for({{"url", Value(missing.url("/nope"))}});
    CHECK(nf.run().status == Outcome::Status::Succeeded);
  }

  TEST_CASE("https is not supported, and says so" * doctest::timeout(10)) {
    Step s = wait_for({{"url", Value("https://indico.example/")}});
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message ==
          "https is not supported by wait-for (ordo speaks no TLS): wait for the port instead "
          "(port = \"host:443\"), or give an http:// URL");
  }

  TEST_CASE("the step's timeout and a stop request end the wait" * doctest::timeout(20)) {
    Listener l;
    Step s = wait_for({{"port", Value(l.at())}}, "1m", "100ms");
    s.ctx.deadline = Clock::now() + 500ms;
    const auto t0 = Clock::now();
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::TimedOut);
    CHECK(o.message.find("last try: Connection refused") != std::string::npos);
    CHECK(Clock::now() - t0 < 2s);

    Step c = wait_for({{"port", Value(l.at())}}, "1m", "100ms");
    std::stop_source stop;
    c.ctx.stop = stop.get_token();
    std::thread stopper([&] {
      std::this_thread::sleep_for(300ms);
      stop.request_stop();
    });
    Outcome cancelled = c.run();
    stopper.join();
    CHECK(cancelled.status == Outcome::Status::Cancelled);
  }
}
